"""Index chunks -> each report's paragraphs and whole sentences, as exact slices with file offsets.

Chunks overlap, and a long paragraph is cut into several of them; the topic overview and
the material basket want whole sentences. So the chunks of one paragraph are merged back
into the paragraph (`source[start:end]` stays exact, because every chunk is exact), and
sentences are cut from that with the answerer's `rag.text.sentence_spans`. Nothing here reads a
report file: the text comes from the index, the same text that search and answers quote.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from rag.records import Chunk, Excerpt
from rag.text import sentence_spans


@dataclass(frozen=True, slots=True)
class _Run:
    """Overlapping or touching chunks of one paragraph, merged: `text == source[start:end]`."""

    report_id: str
    start: int
    end: int
    text: str
    chunks: tuple[Chunk, ...]  # sorted by start


class ExcerptSource:
    """Whole sentences of every report in an index, and the check of a stored (doc, start, end).

    A report's paragraphs are put together the first time it is asked for, from its own
    chunks only (`chunks.report_rows()` of a memory-mapped chunk table says which), so a
    basket check at page load reads a few reports, not the whole index.
    """

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = chunks
        if hasattr(chunks, "report_rows"):
            self._rows = {rid: [int(row) for row in rows] for rid, rows in chunks.report_rows().items()}
        else:
            self._rows = {}
            for row, chunk in enumerate(chunks):
                self._rows.setdefault(chunk.report_id, []).append(row)
        self._runs: dict[str, list[_Run]] = {}
        self._cut: dict[tuple[str, int], list[Excerpt]] = {}

    def report_ids(self) -> list[str]:
        return list(self._rows)

    def sentences(self, report_id: str) -> list[Excerpt]:
        """Every sentence of the report, in reading order."""
        return [excerpt for run in self._report_runs(report_id) for excerpt in self._sentences(run)]

    def sentences_around(self, chunk: Chunk) -> list[Excerpt]:
        """The whole sentences of the chunk's paragraph that overlap the chunk, in order.

        A sentence that starts in the chunk's overlap with its neighbour, or runs past the
        chunk's end, is given whole: a quote cut at a chunk border could cut a figure.
        """
        for run in self._report_runs(chunk.report_id):
            if run.start <= chunk.start and chunk.end <= run.end:
                return [s for s in self._sentences(run) if s.start < chunk.end and chunk.start < s.end]
        return []

    def resolve(self, doc: str, start: int, end: int) -> Excerpt | None:
        """The excerpt at `doc[start:end]` if it is one the library hands out, else None.

        Accepted spans: a whole chunk, a sentence of a chunk (as the answerer quotes it) or
        a sentence of a paragraph (as the overview quotes it). Anything else, a slice cutting
        "159件" down to "15" included, is refused, so a stored reference can only ever
        come back as a quote that was shown.
        """
        if not (isinstance(doc, str) and isinstance(start, int) and isinstance(end, int)) or start >= end:
            return None
        runs = [run for rid in self._rows if rid == doc or rid.startswith(f"{doc}#") for run in self._report_runs(rid)]
        for run in runs:
            if run.chunks[0].doc != doc or not (run.start <= start and end <= run.end):
                continue
            for chunk in run.chunks:
                if chunk.start <= start and end <= chunk.end:
                    if (chunk.start, chunk.end) == (start, end) or (start - chunk.start, end - chunk.start) in sentence_spans(chunk.text):
                        return Excerpt(chunk.text[start - chunk.start : end - chunk.start], start, end, chunk)
            if any((s.start, s.end) == (start, end) for s in self._sentences(run)):
                return _excerpt(run, start, end)
        return None

    def _report_runs(self, report_id: str) -> list[_Run]:
        if report_id not in self._runs:
            grouped: dict[int, list[Chunk]] = {}
            for row in self._rows.get(report_id, ()):
                chunk = self._chunks[row]
                grouped.setdefault(chunk.paragraph, []).append(chunk)
            runs = [run for members in grouped.values() for run in _merge(report_id, members)]
            self._runs[report_id] = sorted(runs, key=lambda run: run.start)
        return self._runs[report_id]

    def _sentences(self, run: _Run) -> list[Excerpt]:
        key = (run.report_id, run.start)
        if key not in self._cut:
            self._cut[key] = [_excerpt(run, run.start + at, run.start + until) for at, until in sentence_spans(run.text)]
        return self._cut[key]


def _merge(report_id: str, chunks: list[Chunk]) -> list[_Run]:
    """Chunks of one paragraph -> runs of contiguous text; a gap (whitespace the splitter dropped) starts a new run."""
    runs: list[_Run] = []
    members: list[Chunk] = []
    start = end = 0
    text = ""
    for chunk in sorted(chunks, key=lambda c: (c.start, c.end)):
        overlap = end - chunk.start
        if members and chunk.start <= end and chunk.text[: max(overlap, 0)] == text[len(text) - overlap :][: len(chunk.text)]:
            if chunk.end > end:
                text += chunk.text[overlap:]
                end = chunk.end
            members.append(chunk)
            continue
        if members:
            runs.append(_Run(report_id, start, end, text, tuple(members)))
        members, start, end, text = [chunk], chunk.start, chunk.end, chunk.text
    if members:
        runs.append(_Run(report_id, start, end, text, tuple(members)))
    return runs


def _excerpt(run: _Run, start: int, end: int) -> Excerpt:
    """The excerpt run[start:end], with the chunk that holds it whole (or, failing that, its start)."""
    holder = next((c for c in run.chunks if c.start <= start and end <= c.end), None)
    if holder is None:
        holder = [c for c in run.chunks if c.start <= start][-1]
        # The sentence runs into the next chunk, which may stand on the next page.
        pages = [p for c in run.chunks if c.start < end and start < c.end for p in c.pages]
        if pages:
            holder = replace(holder, pages=(min(pages),) if min(pages) == max(pages) else (min(pages), max(pages)))
    return Excerpt(run.text[start - run.start : end - run.start], start, end, holder)
