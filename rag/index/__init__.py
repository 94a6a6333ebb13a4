"""The index: FAISS vectors + BM25 + chunks.jsonl + manifest.json, built, published and opened.

Layout (`index/` by default):

    index/current -> builds/<build id>     a relative symlink, swapped atomically (rag.index.publish)
    index/builds/<build id>/
        manifest.json   schema, embedder, chunking, vector store, per-file hashes, counts; written last
        vectors.faiss   row i = line i of chunks.jsonl (or milvus.db, or a Milvus collection: rag.store)
        chunks.jsonl    one Chunk per line
        chunks.npz      byte offset of each line and report of each chunk, so chunks are read on demand
        bm25/           bm25s arrays over jieba tokens of the normalised text
        sentences.npy   a vector for each sentence of each chunk, for choosing answers (rag.index.sentences)
        sentences.npz   which rows belong to which chunk

Modules: table (the chunk files), manifest (reading and checking it, staleness), bm25, sentences,
embed_cache (vectors kept by text across builds),
opened (Index, a build opened for search), build (incremental builds), publish (writing a
build aside, swapping it in, removing old builds and their Milvus collections).
"""

from rag.index.bm25 import BM25_DIR, build_bm25
from rag.index.build import BuildReport, build_index, dense_kind
from rag.index.manifest import CURRENT, MANIFEST, check_manifest, corpus_fingerprint, is_stale, read_manifest, resolve_build_dir
from rag.index.opened import Index
from rag.index.publish import BUILDS, write_build
from rag.index.table import CHUNK_TABLE, CHUNKS, ChunkTable

__all__ = [
    "BM25_DIR", "BUILDS", "CHUNKS", "CHUNK_TABLE", "CURRENT", "MANIFEST", "BuildReport", "ChunkTable", "Index",
    "build_bm25", "build_index", "check_manifest", "corpus_fingerprint", "dense_kind", "is_stale", "read_manifest",
    "resolve_build_dir", "write_build",
]
