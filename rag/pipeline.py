"""Wiring: settings + corpus + index directory -> a ready Retriever, building the index when needed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from rag.config import Settings
from rag.embed import make_embedder
from rag.index import BuildReport, Index, build_index, is_stale
from rag.retrieve import Retriever

log = logging.getLogger(__name__)


def open_retriever(
    corpus_dir: Path,
    index_dir: Path,
    settings: Settings,
    build_if_stale: bool = True,
    on_build: Callable[[BuildReport], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Retriever:
    """Load the index under `index_dir`; first (re)build it from `corpus_dir` if it is missing or stale.

    With `build_if_stale=False` the index is loaded as it is, and a missing or broken
    one raises the RagError that says how to fix it.
    """
    embedder = make_embedder(settings.embedder)
    if build_if_stale and is_stale(index_dir, corpus_dir, embedder.id, settings):
        report = build_index(corpus_dir, index_dir, embedder, settings, progress=progress)
        if on_build:
            on_build(report)
    return Retriever(Index.load(index_dir, embedder.id, settings), embedder, settings)
