"""Positioned lines of a paged document (a PDF text layer, OCR of a scan) -> a Document.

Shared by rag.readers.pdf and rag.readers.ocr: both turn a page into Lines, and
`rebuild` makes paragraphs of them as a reader would. Every page is read alone first:
its running headers and footers are dropped (rag.readers.furniture), a scan's tilt is
measured from the left edge of its lines and taken out, and a page of two columns (found
from where its lines start and end) is read left column first (rag.readers.geometry).
Then line follows line across pages, and a line starts a new paragraph when a reader
would see one begin:

- the type changes: another size (a heading), or bold after regular;
- the gap above it is wider than the document's line pitch (paragraph spacing);
- it is indented from its column's left edge and not centred (first-line indent);
- the line before it ends short: the first word of this line would have fitted there, so
  the line before was not wrapped. A centred line counts the room on both sides.

Nothing else ends a paragraph, so one that runs over a page or column break stays one.
Each paragraph is one line of the text; wrapped lines are joined without a space, except
between two Latin words.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, replace

from rag.readers import geometry
from rag.readers.furniture import furniture
from rag.records import Document, OcrLine


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


@dataclass(frozen=True, slots=True)
class _Placed:
    """A Line in reading order, with tilt taken out of x and what the paragraph rules compare."""

    line: Line
    page: int  # index into the pages given to rebuild
    column: int  # 0 spans the page, 1 left column, 2 right column
    x0: float
    x1: float
    y: float  # of its middle
    left: float  # edges of its column
    right: float
    em: float  # width of one CJK character
    height: float  # type size; for OCR what its box says of it (rag.readers.geometry.type_sizes)


_INDENT_EMS = 0.8  # a first-line indent is two characters; a tilted scan's left edge wobbles less than one
_GAP_FACTOR = 1.3  # paragraph spacing is at least a third of a line more than the line pitch
_SLACK_EMS = 0.3
_FULL_PAGE_LINES = 5  # fewer lines may all be short, and then do not reach the right edge
_OPENING = "“‘（(《〈「『【〔[{"
_CLOSING = "”’）)》〉」』】〕]}，。、；：？！,.;:?!%％…·"
# What cannot be split from the start of a line: opening marks, a Latin word or number, a dash
# or ellipsis of two (——, ……), one other character; then the closing marks a line may not start with.
_FIRST_WORD = re.compile(
    rf"[{re.escape(_OPENING)}]*(?:[A-Za-z0-9][A-Za-z0-9.,:+\-/%&']*|[—…]+|.)[{re.escape(_CLOSING)}]*"
)


def rebuild(pages: list[Page]) -> Document:
    """Paragraphs rebuilt from the lines of every page; running headers, footers and page numbers dropped."""
    tilts = geometry.tilts([list(page.lines) for page in pages])
    dropped = furniture(
        [list(page.lines) for page in pages],
        [page.height for page in pages],
        [geometry.type_sizes(list(page.lines), tilt) for page, tilt in zip(pages, tilts)],
    )
    kept = [
        [line for number, line in enumerate(page.lines) if number not in dropped[index] and line.text.strip()]
        for index, page in enumerate(pages)
    ]
    tilts = geometry.tilts(kept)  # again, without the furniture
    placed: list[_Placed] = []
    for index, page in enumerate(pages):
        placed.extend(_read_page(index, page, kept[index], tilts[index]))
    placed = _sparse_pages_widened(placed, pages)
    style = _Style(_line_pitches(placed), _usual_indent(placed))
    paragraphs: list[list[_Placed]] = []
    for line in placed:
        if paragraphs and _continues(paragraphs[-1][-1], line, style):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    return _document(paragraphs, len(pages))


def _read_page(index: int, page: Page, lines: list[Line], tilt: float) -> list[_Placed]:
    if not lines:
        return []
    em = geometry.page_em(lines)

    def straight(line: Line) -> tuple[float, float, float]:
        """x0, x1 and middle y as if the page were not turned (a text layer's tilt is 0)."""
        middle_x, middle_y = (line.x0 + line.x1) / 2, (line.top + line.bottom) / 2
        shift = tilt * (middle_y - page.height / 2)
        return line.x0 - shift, line.x1 - shift, middle_y + tilt * (middle_x - page.width / 2)

    at = {line: straight(line) for line in lines}
    gutter = geometry.gutter(list(at.values()), page.width, em)
    columns: dict[int, list[Line]] = {0: [], 1: [], 2: []}
    for line in lines:
        x0, x1, _ = at[line]
        columns[0 if gutter is None or x0 < gutter < x1 else 1 if x1 <= gutter else 2].append(line)
    edges = {}
    for column, members in columns.items():
        if column and not members:
            continue
        spread = members if len(members) >= 3 or column else lines
        edges[column] = geometry.edges([at[line][:2] for line in spread], em)
    order = geometry.column_order(columns, {line: y for line, (_, _, y) in at.items()})
    merged = geometry.merge_fragments(order, em)
    sizes = geometry.type_sizes([line for _, line in merged], tilt)
    placed = []
    for (column, line), size in zip(merged, sizes):
        x0, x1, y = straight(line)
        size_em = line.size if geometry.measured(line) else em
        placed.append(_Placed(line, index, column, x0, x1, y, *edges[column], size_em, size))
    return placed


def _sparse_pages_widened(placed: list[_Placed], pages: list[Page]) -> list[_Placed]:
    """Column edges for pages of a few lines, which cannot show them (a last page of two short lines).

    Such a page takes the edges of the document's full pages of the same width, or else assumes
    its right margin mirrors its left one.
    """
    counts: dict[int, int] = {}
    for p in placed:
        if p.column == 0:
            counts[p.page] = counts.get(p.page, 0) + 1
    full = {p.page: (p.left, p.right) for p in placed if p.column == 0 and counts[p.page] >= _FULL_PAGE_LINES}
    widened = []
    for p in placed:
        if p.column == 0 and counts[p.page] < _FULL_PAGE_LINES:
            width = pages[p.page].width
            same = [edges for page, edges in full.items() if abs(pages[page].width - width) <= 0.02 * width]
            if same:
                left, right = statistics.median(e[0] for e in same), statistics.median(e[1] for e in same)
            else:
                left, right = p.left, width - p.left
            p = replace(p, left=min(p.left, left), right=max(p.right, right))
        widened.append(p)
    return widened


def _line_pitches(placed: list[_Placed]) -> dict[bool, float]:
    """Distance between the middles of the lines of a paragraph, in line heights, for text-layer lines (True)
    and OCR lines (False), whose heights are measured differently. A low quantile, since the
    steps between paragraphs are the larger ones."""
    ratios: dict[bool, list[float]] = {True: [], False: []}
    for a, b in zip(placed, placed[1:]):
        if a.page == b.page and a.column == b.column and _same_size(a, b) and b.y > a.y:
            ratios[a.line.confidence is None].append((b.y - a.y) / a.height)
    return {
        kind: (statistics.quantiles(found, n=4)[0] if len(found) >= 4 else min(found, default=float("inf")))
        for kind, found in ratios.items()
    }


@dataclass(frozen=True, slots=True)
class _Style:
    """How the document sets its paragraphs."""

    pitches: dict[bool, float]  # line pitch in line heights, text layer (True) and OCR (False)
    indent: float | None  # the first-line indent most paragraphs have, in characters


def _usual_indent(placed: list[_Placed]) -> float | None:
    """The most common indent (to a quarter character) of the lines that have one, if three do."""
    found = Counter(round(4 * (p.x0 - p.left) / p.em) / 4 for p in placed if _INDENT_EMS * p.em < p.x0 - p.left < 6 * p.em)
    if not found:
        return None
    indent, count = found.most_common(1)[0]
    return indent if count >= 3 else None


def _continues(a: _Placed, b: _Placed, style: _Style) -> bool:
    """Whether line b goes on with a's paragraph: the rules of the module docstring."""
    if not _same_size(a, b) or (b.line.bold and not a.line.bold):
        return False
    if a.page == b.page and a.column == b.column:
        step = b.y - a.y
        if step <= 0 or step > _GAP_FACTOR * style.pitches[a.line.confidence is None] * a.height:
            return False
    if b.x0 - b.left > _INDENT_EMS * b.em and not _centred(b, style.indent):
        return False
    slack = a.right - a.x1 + (a.x0 - a.left if _centred(a, style.indent) else 0.0)
    return slack <= _first_word_width(b) + _SLACK_EMS * a.em


def _same_size(a: _Placed, b: _Placed) -> bool:
    if (a.line.confidence is None) != (b.line.confidence is None):
        return True  # a text page beside a scanned one: their sizes are measured differently
    tolerance = 0.05 if geometry.measured(a.line) and geometry.measured(b.line) else 0.25
    return abs(a.height - b.height) <= tolerance * max(a.height, b.height)


def _centred(p: _Placed, indent: float | None) -> bool:
    """As much room left as right; a line at the usual indent that ends as far short is no heading."""
    inset_left, inset_right = p.x0 - p.left, p.right - p.x1
    if indent is not None and abs(inset_left / p.em - indent) <= 0.5:
        return False
    return inset_left > _INDENT_EMS * p.em and abs(inset_left - inset_right) < max(p.em, 0.15 * (inset_left + inset_right))


def _first_word_width(p: _Placed) -> float:
    match = _FIRST_WORD.match(p.line.text.strip())
    return geometry.units(match.group()) * p.em if match else p.em


def _document(paragraphs: list[list[_Placed]], page_count: int) -> Document:
    parts: list[str] = []
    offset = 0
    page_starts: list[int | None] = [None] * page_count
    ocr_lines = []
    for number, paragraph in enumerate(paragraphs):
        if number:
            parts.append("\n")
            offset += 1
        previous = ""
        for placed in paragraph:
            text = " ".join(placed.line.text.split())
            if previous and geometry.latin_pair(previous, text):
                parts.append(" ")
                offset += 1
            if page_starts[placed.page] is None:
                page_starts[placed.page] = offset
            if placed.line.confidence is not None:
                ocr_lines.append(OcrLine(offset, offset + len(text), placed.line.confidence))
            parts.append(text)
            offset += len(text)
            previous = text
    following = offset
    for index in range(page_count - 1, -1, -1):
        if page_starts[index] is None:
            page_starts[index] = following
        following = page_starts[index]
    return Document(text="".join(parts), page_starts=tuple(page_starts), ocr_lines=tuple(ocr_lines))
