"""Sentence vectors: every sentence of every chunk embedded at build time, so that the answerer
can weigh what a sentence means against the question without embedding anything per question.

    sentences.npy   float16 (rows, dim), memory-mapped: a question reads only its hits' rows
    sentences.npz   offsets (chunks + 1): chunk i's sentences are rows offsets[i]:offsets[i+1],
                    one per `rag.text.sentence_spans(chunk.text)`, in that order

A chunk with one sentence that says something takes the chunk's own vector for it (that sentence
with its committee, year and headings in front): embedding it again would cost build time and say
nothing new. A sentence
that says nothing (`rag.text.says_nothing`: a run-in heading, a fragment) is never quoted, so it
gets a zero row instead of an embedding. Identical sentences (chunk overlaps, repeated set
phrases) are embedded once. float16 moves a cosine by less than 0.001 and halves the disk.

A build written without them (bench/scale.py writes 10^6 derived chunks) opens with
`SentenceTable.open` returning None, and answers are chosen without the semantic term.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from rag.errors import IndexCorrupt
from rag.records import Chunk
from rag.text import normalize, says_nothing, sentence_spans

SENTENCES = "sentences.npy"
SENTENCE_TABLE = "sentences.npz"
_OWN_VECTOR, _NOTHING = -1, -2
# A sentence is embedded by its first characters only: what it is about stands at its head
# ("围绕…开展…"), and embedding costs by the token. 48 cuts the sentences' embedding time by a
# quarter on the shipped reports with the same answer scores (eval answer_ok 0.948 at 48 and 64, 0.941 at 40).
_EMBEDDED_CHARS = 48


@dataclass(frozen=True, slots=True)
class SentencePlan:
    """What the sentences of some chunks need: `texts` to embed, and for each sentence in order
    the position of its text in `texts`, or _OWN_VECTOR (its chunk's vector), or _NOTHING."""

    texts: list[str]
    sources: list[list[int]]  # per chunk, per sentence


def plan_sentences(chunks: Sequence[Chunk]) -> SentencePlan:
    texts: dict[str, int] = {}
    sources = []
    for chunk in chunks:
        saying = [not says_nothing(chunk.text[start:end], chunk.headings) for start, end in sentence_spans(chunk.text)]
        if sum(saying) == 1:  # the chunk says one thing: its own vector is that sentence's
            sources.append([_OWN_VECTOR if says else _NOTHING for says in saying])
            continue
        spans = sentence_spans(chunk.text)
        sources.append([
            texts.setdefault(normalize(chunk.text[start:end])[:_EMBEDDED_CHARS], len(texts)) if says else _NOTHING
            for (start, end), says in zip(spans, saying)
        ])
    return SentencePlan(list(texts), sources)


def sentence_rows(plan: SentencePlan, embedded: np.ndarray, chunk_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, offsets) for the planned chunks, from the embedded `plan.texts` and their chunk vectors."""
    dim = chunk_vectors.shape[1] if len(chunk_vectors) else embedded.shape[1]
    offsets = np.zeros(len(plan.sources) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(row) for row in plan.sources])
    vectors = np.zeros((int(offsets[-1]), dim), dtype=np.float16)
    at = 0
    for chunk_row, row in enumerate(plan.sources):
        for source in row:
            if source == _OWN_VECTOR:
                vectors[at] = chunk_vectors[chunk_row]
            elif source != _NOTHING:
                vectors[at] = embedded[source]
            at += 1
    return vectors, offsets


def join_rows(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sentence rows of consecutive runs of chunks, as one table."""
    vectors = np.vstack([v for v, _ in parts]) if parts else np.zeros((0, 0), dtype=np.float16)
    offsets = [np.zeros(1, dtype=np.int64)]
    for _, o in parts:
        offsets.append(o[1:] + offsets[-1][-1])
    return vectors, np.concatenate(offsets)


def write_sentences(build_dir: Path, vectors: np.ndarray, offsets: np.ndarray) -> None:
    np.save(build_dir / SENTENCES, vectors.astype(np.float16))
    with open(build_dir / SENTENCE_TABLE, "wb") as out:
        np.savez(out, offsets=offsets)


class SentenceTable:
    """The sentence vectors of an opened build."""

    def __init__(self, vectors: np.ndarray, offsets: np.ndarray) -> None:
        self._vectors, self._offsets = vectors, offsets

    @classmethod
    def open(cls, build_dir: Path, chunks: int) -> "SentenceTable | None":
        if not (build_dir / SENTENCE_TABLE).exists():
            return None
        try:
            with np.load(build_dir / SENTENCE_TABLE) as table:
                offsets = table["offsets"]
            vectors = np.load(build_dir / SENTENCES, mmap_mode="r")
        except (OSError, ValueError, KeyError):
            raise IndexCorrupt(f"{build_dir / SENTENCES} is corrupt: run `rag index --rebuild`") from None
        if len(offsets) != chunks + 1 or offsets[-1] != len(vectors):
            raise IndexCorrupt(f"{build_dir / SENTENCES} does not match chunks.jsonl: run `rag index --rebuild`")
        return cls(vectors, offsets)

    def similarities(self, row: int, query: np.ndarray) -> tuple[float, ...]:
        """Cosine of `query` with each sentence of chunk `row` (0 for one that says nothing)."""
        block = np.asarray(self._vectors[self._offsets[row] : self._offsets[row + 1]], dtype=np.float32)
        return tuple(round(float(s), 4) for s in block @ query)

    def rows(self, chunk_rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The sentence rows of `chunk_rows`, in that order, as (vectors, offsets): an incremental build keeps them."""
        counts = [int(self._offsets[r + 1] - self._offsets[r]) for r in chunk_rows]
        offsets = np.zeros(len(chunk_rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(counts)
        if not chunk_rows:
            return np.zeros((0, self._vectors.shape[1]), dtype=np.float16), offsets
        vectors = np.vstack([self._vectors[self._offsets[r] : self._offsets[r + 1]] for r in chunk_rows])
        return vectors.astype(np.float16), offsets
