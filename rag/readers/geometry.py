"""Where the lines of one page stand: its tilt, its columns and their edges, the width of a
character, and the pieces of one printed line joined. rag.readers.layout reads pages with these.

Lines are rag.readers.layout.Line; coordinates are points from the page's top-left corner.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import replace
from itertools import combinations
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.readers.layout import Line

MAX_TILT = 0.05  # three degrees; beyond that the page is no scan of a straight sheet
_LATIN_END = re.compile(r"(?:[A-Za-z0-9]|[A-Za-z0-9][,.;:!?)])$")


def page_em(lines: list[Line]) -> float:
    """The width of a CJK character on this page: the type size, or for OCR measured off long lines."""
    sizes = [line.size for line in lines if line.size]
    if sizes and all(line.confidence is None for line in lines):
        return statistics.median(sizes)
    pitches = [(line.x1 - line.x0) / units(line.text) for line in lines if units(line.text) >= 8]
    if pitches:
        return statistics.median(pitches)
    return statistics.median([line.bottom - line.top for line in lines]) or 1.0


def tilts(kept: list[list[Line]]) -> list[float]:
    """Each page's tilt; a page of too few lines to show one takes the median of the others'."""
    found = [_tilt(lines, page_em(lines)) if lines else None for lines in kept]
    known = [tilt for tilt in found if tilt is not None]
    fallback = statistics.median(known) if known else 0.0
    return [fallback if tilt is None else tilt for tilt in found]


def _tilt(lines: list[Line], em: float) -> float | None:
    """dx/dy of the left edge (a scan turned by a degree), from the lines that start at it.

    The edge is the leftmost x0 that a fifth of the lines (five at least) start within a
    character of, so a header or footer further out does not stand in for it.
    """
    starts = sorted(line.x0 for line in lines)
    need = max(5, len(lines) // 5)
    edge = next((x for n, x in enumerate(starts) if n + need <= len(starts) and starts[n + need - 1] <= x + 1.2 * em), None)
    if edge is None:
        return None
    flush = [((line.top + line.bottom) / 2, line.x0) for line in lines if edge <= line.x0 <= edge + 1.2 * em]
    slopes = [(x2 - x1) / (y2 - y1) for (y1, x1), (y2, x2) in combinations(flush, 2) if abs(y2 - y1) > em]
    if len(flush) < 5 or not slopes:
        return None
    slope = statistics.median(slopes)
    return slope if abs(slope) <= MAX_TILT else 0.0


def gutter(spans: list[tuple[float, float, float]], width: float, em: float) -> float | None:
    """The x of the gap between two columns, or None for a page of one column.

    `spans` are (x0, x1, middle y) of the page's lines. Two columns need an x in the middle of
    the page that few lines cross (a title may span both), with three lines at least on each
    side, three of them side by side with one of the other column.
    """
    best = None
    for step in range(int(0.4 * width / (em / 4)) + 1):
        x = 0.3 * width + step * em / 4
        left = sum(1 for x0, x1, _ in spans if x1 <= x)
        right = sum(1 for x0, x1, _ in spans if x0 >= x)
        crossing = len(spans) - left - right
        if left >= 3 and right >= 3 and crossing <= 0.25 * len(spans):
            score = (crossing, -min(left, right))
            if best is None or score < best[0]:
                best = (score, [x])
            elif score == best[0]:
                best[1].append(x)
    if best is None:
        return None
    x = statistics.median(best[1])
    lefts = [y for _, x1, y in spans if x1 <= x]
    beside = sum(1 for x0, _, y in spans if x0 >= x and any(abs(y - other) <= em for other in lefts))
    return x if beside >= 3 else None


def edges(spans: list[tuple[float, float]], em: float) -> tuple[float, float]:
    """Left and right edges of a column: the outermost x that a fifth of its lines (two at least)
    start within half a character of, or end within a character of (ragged text falls short
    by up to one), so a stray line further out is ignored."""
    need = min(len(spans), max(2, len(spans) // 5))
    starts = sorted(x0 for x0, _ in spans)
    ends = sorted((x1 for _, x1 in spans), reverse=True)
    left = next(x for n, x in enumerate(starts) if starts[n + need - 1] <= x + 0.5 * em or n + need == len(starts))
    right = next(x for n, x in enumerate(ends) if ends[n + need - 1] >= x - em or n + need == len(ends))
    return left, right


def column_order(columns: dict[int, list[Line]], y: dict[Line, float]) -> list[tuple[int, Line]]:
    """Top to bottom; between two lines that span the page, the left column before the right."""
    spanning = sorted(columns[0], key=y.get)
    bounds = [y[line] for line in spanning] + [float("inf")]
    order: list[tuple[int, Line]] = []
    previous = float("-inf")
    for line_index, bound in enumerate(bounds):
        for column in (1, 2):
            band = [line for line in columns[column] if previous <= y[line] < bound]
            order.extend((column, line) for line in sorted(band, key=y.get))
        if line_index < len(spanning):
            order.append((0, spanning[line_index]))
        previous = bound
    return order


def merge_fragments(order: list[tuple[int, Line]], em: float) -> list[tuple[int, Line]]:
    """Pieces of one printed line (OCR splits a line at wide gaps) joined left to right."""
    merged: list[tuple[int, Line]] = []
    for column, line in order:
        if merged and merged[-1][0] == column and _same_row(merged[-1][1], line, em):
            merged[-1] = (column, _joined(merged[-1][1], line, em))
        else:
            merged.append((column, line))
    return merged


def _same_row(a: Line, b: Line, em: float) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap > 0.5 * min(a.bottom - a.top, b.bottom - b.top) and b.x0 >= a.x1 - 0.5 * em


def _joined(a: Line, b: Line, em: float) -> Line:
    scores = [c for c in (a.confidence, b.confidence) if c is not None]
    # Cells of a table row are kept apart; pieces of one line of Chinese are not.
    spaced = latin_pair(a.text, b.text) or b.x0 - a.x1 > em
    return replace(
        a,
        text=a.text.rstrip() + (" " if spaced else "") + b.text.lstrip(),
        x0=min(a.x0, b.x0), x1=max(a.x1, b.x1), top=min(a.top, b.top), bottom=max(a.bottom, b.bottom),
        size=max(a.size, b.size), bold=a.bold and b.bold, confidence=min(scores) if scores else None,
    )


def measured(line: Line) -> bool:
    return bool(line.size) and line.confidence is None


def type_sizes(lines: list[Line], tilt: float) -> list[float]:
    """Each line's font size. OCR gives none: a line of Chinese shows it in the width of its
    characters, a line of eight Latin letters or digits or more in theirs (0.6 em each: a
    browser's header with a Latin page title); another line in its box's height (less what the
    tilt adds, width x tilt), scaled as the page's Chinese lines are, for a box holds the
    recogniser's margin too, and digits and slashes reach higher and lower than Chinese."""
    boxes = [max(line.bottom - line.top - abs(tilt) * (line.x1 - line.x0), 0.5 * (line.bottom - line.top)) for line in lines]
    pitches = [char_width(line) for line in lines]
    ratios = [pitch / box for pitch, box in zip(pitches, boxes) if pitch]
    ratio = statistics.median(ratios) if ratios else 1.0
    return [
        line.size if measured(line) else pitch or _latin_width(line) or box * ratio
        for line, pitch, box in zip(lines, pitches, boxes)
    ]


def _latin_width(line: Line) -> float | None:
    chars = "".join(line.text.split())
    return (line.x1 - line.x0) / units(line.text) if len(chars) >= 8 and chars.isascii() else None


def char_width(line: Line) -> float | None:
    """The advance of one CJK character on a line that is mostly CJK (four at least), else None."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in line.text)
    if wide >= 4 and wide >= 0.6 * len(line.text.replace(" ", "")):
        return (line.x1 - line.x0) / units(line.text)
    return None


def units(text: str) -> float:
    """Width in CJK characters: a wide character is one, so is an em dash or ellipsis in any font,
    a Latin letter or digit about 0.6."""
    return sum(1.0 if ch in "—…" or unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text if not ch.isspace())


def latin_pair(before: str, after: str) -> bool:
    after = after.lstrip()
    return bool(_LATIN_END.search(before.rstrip())) and after[:1].isascii() and after[:1].isalnum()
