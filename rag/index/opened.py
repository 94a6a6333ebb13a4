"""Index: one published build opened for search (chunks, vectors, BM25 and the manifest that ties them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.errors import IndexCorrupt
from rag.index.bm25 import BM25_DIR, read_bm25
from rag.index.manifest import check_manifest, read_manifest, resolve_build_dir
from rag.index.sentences import SentenceTable
from rag.index.table import CHUNKS, ChunkTable
from rag.records import ReportMeta
from rag.store import VectorStore, open_store


@dataclass(slots=True)
class Index:
    """An opened index. `chunks[i]` is the chunk of vector row i and BM25 document i."""

    path: Path
    manifest: dict
    chunks: ChunkTable
    store: VectorStore
    bm25: object  # bm25s.BM25
    sentences: SentenceTable | None = None  # None for a build written without them

    def reports(self) -> dict[str, ReportMeta]:
        """report_id -> its metadata, for every report in the index."""
        return {
            rid: ReportMeta(**{**meta, "aliases": tuple(meta.get("aliases", ()))})
            for f in self.manifest["corpus"]["files"].values()
            for rid, meta in f["reports"].items()
        }

    @classmethod
    def open(cls, index_dir: Path, embedder_id: str | None = None, settings: Settings | None = None) -> "Index":
        """Open the published index under `index_dir`.

        Raises IndexNotFound, IndexCorrupt (naming the broken file) or ManifestMismatch
        (built with another embedder, chunking, vector store or schema); each message names the fix.
        """
        build_dir = resolve_build_dir(index_dir)
        manifest = read_manifest(build_dir)
        check_manifest(manifest, build_dir, embedder_id, settings)
        chunks = ChunkTable(build_dir / CHUNKS)
        store = open_store(manifest["store"], manifest["dense"], build_dir)
        bm25 = read_bm25(build_dir / BM25_DIR)
        bm25_docs = bm25.scores.get("num_docs")
        if not (len(chunks) == store.ntotal == bm25_docs == manifest["corpus"]["chunks"]):
            raise IndexCorrupt(
                f"{build_dir}: {len(chunks)} chunks, {store.ntotal} vectors, {bm25_docs} BM25 documents, "
                f"manifest says {manifest['corpus']['chunks']}; run `rag index --rebuild`"
            )
        sentences = SentenceTable.open(build_dir, len(chunks))
        return cls(path=build_dir, manifest=manifest, chunks=chunks, store=store, bm25=bm25, sentences=sentences)
