""".pdf -> a Document: each page's text layer read with its layout (PyMuPDF), scanned pages by OCR.

PyMuPDF was chosen by measurement (`bench/documents.py --libraries`, 2026-12-02, 2 cores, load
2.9): the five shipped reports printed by Chromium and by LibreOffice (scripts/make_documents.py),
52 pages. "Found": share of the source's characters (whitespace aside) found in order in the
output. "CJK spaces": spaces between two Chinese characters beyond the source's own.

| library, call                          | ms/page | gives                            | found  | CJK spaces |
|----------------------------------------|--------:|----------------------------------|-------:|-----------:|
| pypdf 7.1 `extract_text`               |    20.6 | text only                        |  98.8% |       1212 |
| pdfminer.six 20260107 `extract_pages`  |    34.7 | line boxes, size, font name      |  98.8% |        416 |
| pdfplumber 0.11 `extract_text_lines`   |    40.9 | line, char boxes; size, font name|  99.8% |         42 |
| PyMuPDF 2.0 `get_text("dict")`         |    10.8 | line boxes, size, bold flag      |  98.8% |         13 |
| PyMuPDF `get_text("rawdict")`          |    11.4 | char boxes, size, bold flag      |  98.8% |         13 |
| rawdict, lines built here              |    13.1 | Lines                            | 100.0% |         13 |
| read_pdf (lines + layout.rebuild)      |    14.6 | paragraphs                       | 100.0% |          0 |

PyMuPDF is the fastest by 2-4x and gives every character's box and size and a bold flag (pypdf
gives none of them without a visitor of its own). No library gets the text right alone:
LibreOffice draws curly quotes in a second font and text run, so every library's lines put
“ ” out of place (pdfplumber sorts characters by x, hence its 99.8%), and the gap LibreOffice
leaves between Chinese and Latin text reads as a space. So lines are built here from
characters: grouped by baseline, sorted by x, cut where a gap wider than a character
separates columns, with a space only for a space glyph or between Latin words. The 13
spaces left are in Chromium's page-title header, which rebuild drops.

Pages without text that hold an image are scans: they go to rag.readers.ocr when it can run;
otherwise they stay empty (a mixed PDF still gives its text pages) and a PDF of scans only is
refused. A page without text or images is blank and is kept as an empty page.
"""

from __future__ import annotations

import logging
import statistics
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag.errors import BadDocument
from rag.readers.layout import Line, Page, rebuild
from rag.readers.plain import one_line
from rag.records import Document

log = logging.getLogger(__name__)

# PyMuPDF must not be used from two threads at once; the app reads uploads in several.
PYMUPDF_LOCK = threading.Lock()
_BOLD = 16  # PyMuPDF span flag: the font is bold
_COLUMN_GAP_EMS = 1.0  # more blank than this between two characters of a baseline: two lines
_LATIN_SPACE_EMS = 0.15


@dataclass(frozen=True, slots=True)
class _Char:
    c: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    bold: bool


def read_pdf(path: Path) -> Document:
    """The text of every page in reading order; see the module docstring."""
    with PYMUPDF_LOCK:
        document = _open(path)
        try:
            pages, scanned = [], []
            for page in document:
                lines = _page_lines(page)
                if not lines and page.get_image_info():  # inline images too, which get_images misses
                    scanned.append(page.number + 1)
                pages.append(Page(page.number + 1, page.rect.width, page.rect.height, tuple(lines)))
        except Exception as exc:
            raise BadDocument(f"{path}: not a valid PDF ({one_line(exc)})") from exc
        finally:
            document.close()
    if scanned:
        pages = _with_ocr(path, pages, scanned)
    if not any(page.lines for page in pages):
        raise BadDocument(
            f"{path}: the PDF has no extractable text ({len(pages)} pages); it is probably "
            "scanned: run OCR on it (e.g. ocrmypdf) and index the result"
        )
    return rebuild(pages)


def _open(path: Path):
    try:
        import pymupdf

        document = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # FileDataError, RuntimeError, ValueError ...
        raise BadDocument(f"{path}: not a valid PDF ({one_line(exc)})") from exc
    try:
        # Many PDFs are encrypted with an empty password only to forbid editing.
        opened = not document.needs_pass or bool(document.authenticate(""))
    except Exception as exc:
        raise BadDocument(f"{path}: the PDF is encrypted and cannot be opened ({one_line(exc)})") from exc
    if not opened:
        raise BadDocument(f"{path}: the PDF is password-protected; save an unprotected copy")
    if document.page_count == 0:
        raise BadDocument(f"{path}: not a valid PDF (no pages)")
    return document


def _with_ocr(path: Path, pages: list[Page], scanned: list[int]) -> list[Page]:
    """`pages` with the scanned ones read by OCR, or left empty where OCR cannot run."""
    try:
        from rag.readers.ocr import ocr_pdf_pages
    except ImportError as exc:
        if len(scanned) == len(pages):
            raise BadDocument(
                f"{path}: the PDF has no extractable text: its {len(pages)} pages are scanned images "
                f"and OCR is not available here ({one_line(exc)}); run OCR on it (e.g. ocrmypdf) and index the result"
            ) from exc
        log.warning("%s: pages %s are scanned images and OCR is not available; they are left out", path, scanned)
        return pages
    read = {page.number: page for page in ocr_pdf_pages(path, scanned)}
    return [read.get(page.number, page) for page in pages]


def _page_lines(page) -> list[Line]:
    import pymupdf

    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_INHIBIT_SPACES | pymupdf.TEXT_MEDIABOX_CLIP
    chars = []
    for block in page.get_text("rawdict", flags=flags)["blocks"]:
        for line in block.get("lines", ()):
            if abs(line["dir"][1]) > 0.1:  # vertical or turned text: not a line of the body
                continue
            for span in line["spans"]:
                bold = bool(span["flags"] & _BOLD)
                for char in span["chars"]:
                    x0, top, x1, bottom = char["bbox"]
                    chars.append(_Char(char["c"], x0, x1, top, bottom, char["origin"][1], span["size"], bold))
    lines = []
    for row in _rows(chars):
        lines.extend(_split_row(row))
    return lines


def _rows(chars: list[_Char]) -> list[list[_Char]]:
    """Characters grouped by baseline, each row left to right."""
    rows: list[list[_Char]] = []
    for char in sorted(chars, key=lambda c: (c.baseline, c.x0)):
        if rows and char.baseline - rows[-1][0].baseline <= 0.3 * max(char.size, rows[-1][0].size):
            rows[-1].append(char)
        else:
            rows.append([char])
    # By middles, not left edges: a ligature's second letter has no width, and the next letter
    # may start a hair to the left of it.
    return [sorted(row, key=lambda c: c.x0 + c.x1) for row in rows]


def _split_row(row: list[_Char]) -> list[Line]:
    """A row cut where a wide gap separates two columns (or a header's left, middle and right)."""
    pieces: list[list[_Char]] = [[]]
    last = None
    for char in row:
        if char.c.isspace():
            pieces[-1].append(char)
            continue
        if last is not None and char.x0 - last.x1 > _COLUMN_GAP_EMS * max(char.size, last.size):
            pieces.append([])
        pieces[-1].append(char)
        last = char
    return [line for piece in pieces if (line := _line(piece)) is not None]


def _line(chars: list[_Char]) -> Line | None:
    ink = [c for c in chars if not c.c.isspace()]
    if not ink:
        return None
    text, previous, spaced = [], None, False
    for char in chars:
        if char.c.isspace():
            spaced = previous is not None
            continue
        if previous is not None and (spaced or _latin_gap(previous, char)):
            text.append(" ")
        text.append(char.c)
        previous, spaced = char, False
    return Line(
        text="".join(text),
        x0=min(c.x0 for c in ink), x1=max(c.x1 for c in ink),
        top=min(c.top for c in ink), bottom=max(c.bottom for c in ink),
        size=statistics.median(c.size for c in ink),
        bold=sum(c.bold for c in ink) * 2 > len(ink),
    )


def _latin_gap(before: _Char, after: _Char) -> bool:
    """Word space between Latin characters that the PDF leaves as a gap, not a glyph."""
    narrow = all(unicodedata.east_asian_width(c.c) not in "WF" for c in (before, after))
    return narrow and after.x0 - before.x1 > _LATIN_SPACE_EMS * before.size
