"""Positioned lines of a paged document (a PDF text layer, OCR of a scan) -> a Document.

Shared by rag.readers.pdf and rag.readers.ocr: both turn a page into Lines, and
`rebuild` makes paragraphs of them as a reader would.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.records import Document


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line: its text and where it stands on its page (points, origin top-left)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = 0.0  # font size; 0 when unknown (OCR: the line height stands in)
    bold: bool = False
    confidence: float | None = None  # OCR's score for the line; None for a text layer


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based, as the PDF counts its pages
    width: float
    height: float
    lines: tuple[Line, ...]


def rebuild(pages: list[Page]) -> Document:
    """Paragraphs rebuilt from the lines of every page; running headers, footers and page numbers dropped."""
    raise NotImplementedError
