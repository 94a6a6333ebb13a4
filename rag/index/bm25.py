"""The BM25 half of the index: bm25s arrays over jieba tokens of each chunk's matching text."""

from __future__ import annotations

from pathlib import Path

from rag.errors import IndexCorrupt
from rag.records import Chunk
from rag.text import matching_text, tokenize

BM25_DIR = "bm25"


def build_bm25(chunks: list[Chunk]):
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([tokenize(matching_text(c)) or ["\u0000"] for c in chunks], show_progress=False)
    return retriever


def read_bm25(path: Path):
    import bm25s

    try:
        # Memory-mapped: a search reads the postings of its few terms, not 10^8 entries.
        return bm25s.BM25.load(str(path), mmap=True)
    except Exception:  # bm25s raises whatever json/numpy raise on a damaged file
        raise IndexCorrupt(f"{path} (the BM25 store) is missing or corrupt: run `rag index --rebuild`") from None
