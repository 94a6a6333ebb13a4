"""Write a build aside, publish it by swapping the `current` symlink, and remove the builds it replaced.

A build is written into builds/.staging-<id>, renamed to builds/<id>, and only then published
by replacing `current` with os.replace, which is atomic: a build killed at any point leaves
the previous index as it was, and readers never see half an index.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from rag.config import Settings
from rag.errors import RagError
from rag.index.bm25 import BM25_DIR, build_bm25
from rag.index.manifest import CURRENT, MANIFEST, read_manifest
from rag.index.sentences import write_sentences
from rag.index.table import write_chunks
from rag.records import Chunk
from rag.store import drop_store, write_store

log = logging.getLogger(__name__)

BUILDS = "builds"


def write_build(
    index_dir: Path, manifest: dict, chunks: Sequence[Chunk], vectors: np.ndarray, settings: Settings, started: float,
    bm25=None, sentences: tuple[np.ndarray, np.ndarray] | None = None,
) -> Path:
    """Write the build aside, then publish it; on any write error remove the partial build and keep the old one.

    `bm25` is a BM25 already built over `chunks` (bench/scale.py tokenises its recombined
    sentences once instead of 10^6 chunks with jieba); by default it is built here.
    `sentences` are the (vectors, offsets) of rag.index.sentences; a build without them answers
    without the semantic term.

    A full disk or a read-only directory raises RagError with the system's reason. The
    partial build is removed so that a full disk is not left fuller than before.
    """
    builds = index_dir / BUILDS
    staging = None
    try:
        builds.mkdir(parents=True, exist_ok=True)
        build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        staging = builds / f".staging-{build_id}"
        staging.mkdir()
        manifest["store"] = write_store(settings.vector_store, vectors, manifest["dense"], staging, build_id)
        write_chunks(chunks, staging)
        (bm25 or build_bm25(chunks)).save(str(staging / BM25_DIR))
        if sentences is not None:
            write_sentences(staging, *sentences)
        manifest["build_seconds"] = round(time.perf_counter() - started, 2)
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(staging)
        final = builds / build_id
        replaced = _milvus_build(index_dir / CURRENT)
        os.rename(staging, final)
        _point_current(index_dir, final)
    except OSError as exc:
        if staging is not None:
            _remove_build(staging, settings.vector_store)
        raise RagError(f"cannot write the index under {index_dir}: {exc.strerror or exc}; the previous index is unchanged") from None
    except RagError:
        if staging is not None:
            _remove_build(staging, settings.vector_store)
        raise
    _remove_old_builds(builds, keep=(final, replaced), spec=settings.vector_store)
    return final


def _point_current(index_dir: Path, build_dir: Path) -> None:
    link = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(build_dir, index_dir), link)
    os.replace(link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _milvus_build(current: Path) -> Path | None:
    """The build `current` points to if Milvus holds its vectors.

    A Milvus build is searched on the server, not from open files, so it stays until the
    next build replaces its successor: a reader still holding it keeps answering.
    """
    try:
        build_dir = current.resolve(strict=True)
        return build_dir if "uri" in read_manifest(build_dir)["store"] else None
    except (OSError, RagError):
        return None


def sweep_abandoned(index_dir: Path, spec: str) -> None:
    """Remove what a writer killed mid-way left behind: a half-written build, an upload's staging corpus.

    A build that changes nothing calls this too, so debris never outlives the next `rag index`.
    """
    builds = index_dir / BUILDS
    for path in builds.glob(".staging-*") if builds.is_dir() else ():
        _remove_build(path, spec)
    for path in index_dir.glob(".upload-*"):
        shutil.rmtree(path, ignore_errors=True)


def _remove_old_builds(builds: Path, keep: tuple[Path | None, ...], spec: str) -> None:
    """Drop superseded and abandoned builds; a reader still holding a FAISS one keeps its open files."""
    for path in builds.iterdir():
        if path not in keep:
            _remove_build(path, spec)


def _remove_build(build_dir: Path, spec: str) -> None:
    """Remove a build directory and what its store holds elsewhere (a Milvus collection)."""
    try:
        entry = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))["store"]
    except (OSError, ValueError, KeyError, TypeError):
        entry = None  # abandoned before its manifest was written: it used the configured store
    try:
        drop_store(entry, spec, build_dir)
    except RagError as exc:
        log.warning("could not free the vectors of %s: %s", build_dir.name, exc)
    shutil.rmtree(build_dir, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
