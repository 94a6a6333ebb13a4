"""Report -> list[Chunk]: exact slices of one paragraph each, cut at Chinese sentence boundaries.

Chunks never cross a paragraph, so they never cross a section or a report either, and
each citation names exactly one section and paragraph. Long paragraphs are cut by
langchain's RecursiveCharacterTextSplitter at 。！？； first and ，only when a sentence is
longer than the chunk size; each piece is then located in the paragraph so that
`report.source[chunk.start:chunk.end] == chunk.text` holds for every chunk.
"""

from __future__ import annotations

import hashlib
import re

from rag.config import Settings
from rag.records import Chunk, Paragraph, Report
from rag.text import ENUMERATOR, SENTENCE_END

# Sentence ends first; clause marks only for a sentence longer than a chunk.
_SEPARATORS = ["\n", *SENTENCE_END, "，", ",", "、", ""]


def chunk_report(report: Report, settings: Settings) -> list[Chunk]:
    splitter = _splitter(settings.chunk_size, settings.chunk_overlap)
    chunks = []
    for paragraph in report.paragraphs:
        for start, end in _spans(paragraph, splitter):
            text = report.source[start:end]
            chunks.append(
                Chunk(
                    chunk_id=_chunk_id(report.report_id, start, end, text),
                    report_id=report.report_id,
                    doc=report.meta.file,
                    committee=report.meta.committee,
                    short_name=report.meta.short_name,
                    title=report.meta.title,
                    year=report.meta.year,
                    kind=report.meta.kind,
                    headings=paragraph.headings + _enumerator(paragraph, start),
                    paragraph=paragraph.number,
                    start=start,
                    end=end,
                    text=text,
                    pages=_pages(report, paragraph, start, end),
                    ocr_confidence=report.document.ocr_confidence(start, end) if report.document else None,
                    ocr_doubtful=report.document.doubtful(start, end) if report.document else (),
                )
            )
    return chunks


def _pages(report: Report, paragraph: Paragraph, start: int, end: int) -> tuple[int, ...]:
    if report.document is None or (start, end) == (paragraph.start, paragraph.end):
        return paragraph.pages
    return report.document.pages(start, end)


def _splitter(chunk_size: int, chunk_overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=_SEPARATORS,
        keep_separator="end",
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        length_function=len,
        strip_whitespace=True,
    )


def _spans(paragraph: Paragraph, splitter) -> list[tuple[int, int]]:
    """Offsets in the source of each piece the splitter makes of the paragraph."""
    if len(paragraph.text) <= splitter._chunk_size:
        return [(paragraph.start, paragraph.end)]
    spans = []
    previous = -1
    for piece in splitter.split_text(paragraph.text):
        # Pieces start in order, but with a large overlap two may start at the same place
        # ("0 000…", "000…", "000…:"): look past the previous start first, then at it.
        at = paragraph.text.find(piece, previous + 1)
        if at < 0:
            at = paragraph.text.find(piece, max(previous, 0))
        if at < 0:  # the splitter only ever drops whitespace, so this means a bug there
            raise AssertionError(f"chunk not found in its paragraph: {piece[:30]!r}")
        spans.append((paragraph.start + at, paragraph.start + at + len(piece)))
        previous = at
    return spans


def _enumerator(paragraph: Paragraph, start: int) -> tuple[str, ...]:
    """The "二是…" item a chunk sits in, when its paragraph enumerates inline."""
    offset = start - paragraph.start
    found = [m for m in ENUMERATOR.finditer(paragraph.text) if m.start(1) <= offset]
    return (found[-1].group(1),) if found else ()


def _chunk_id(report_id: str, start: int, end: int, text: str) -> str:
    return hashlib.sha256(f"{report_id}\0{start}\0{end}\0{text}".encode()).hexdigest()[:16]


_ITEM = re.compile(r"^[一二三四五六七八九十]是")


def item_headings(chunk: Chunk, start: int) -> tuple[str, ...]:
    """The chunk's headings, with the inline item ("三是…") that report offset `start` lies in.

    A chunk is labelled with the item it starts in; a sentence further on may stand in the
    next item of the same chunk, and its citation must name that one.
    """
    found = [m for m in ENUMERATOR.finditer(chunk.text) if chunk.start + m.start(1) <= start]
    if not found:
        return chunk.headings
    outer = chunk.headings[:-1] if chunk.headings and _ITEM.match(chunk.headings[-1]) else chunk.headings
    return outer + (found[-1].group(1),)
