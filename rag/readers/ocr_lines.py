"""RapidOCR's boxes on one page -> layout Lines: straightened, joined along each printed line, misreadings set right.

The boxes come as quadrilaterals in no particular order; a scan may be turned by a degree,
and RapidOCR splits a line at a wide space. What the recogniser is known to get wrong and can be
told from the page itself is corrected here: Traditional characters read as Simplified ones, and
quotation marks turned the wrong way round.
"""

from __future__ import annotations

import functools
import math
import re
import statistics
from dataclasses import dataclass

from rag.readers.layout import Line

# Two boxes on one line are one Line when the gap between them is below this many line
# heights: RapidOCR splits a line at a wide space, while a column gutter is wider.
SAME_LINE_GAP = 1.5
_QUOTE = re.compile('[“”"]')
_PAIRABLE = {"“”", "““", "””", '“"', '"”'}
_PHRASE_BREAK = set('，。；：！？、,.;:!?“”"')


@dataclass(frozen=True, slots=True)
class Box:
    """One recognised box: its corners clockwise from top-left (pixels, or points once scaled), text and score."""

    corners: tuple[tuple[float, float], ...]
    text: str
    score: float


def in_page_script(boxes: list[Box]) -> list[Box]:
    """On a page printed in Traditional characters, what was read as Simplified turned back (镇 -> 鎮).

    The recogniser knows few Traditional characters and reads the others as their Simplified
    forms or drops them; a page is Traditional when the Traditional-only characters read on it
    outnumber the Simplified-only ones (on a Simplified page there are none).
    """
    to_simplified, to_traditional = _opencc("t2s"), _opencc("s2t")
    chars = "".join(box.text for box in boxes)
    traditional = sum(1 for char in chars if to_simplified.convert(char) != char)
    simplified = sum(1 for char in chars if to_traditional.convert(char) != char)
    if traditional <= simplified:
        return boxes
    return [Box(box.corners, to_traditional.convert(box.text), box.score) for box in boxes]


@functools.cache
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


def page_lines(boxes: list[Box], centre: tuple[float, float]) -> list[Line]:
    """Boxes straightened by the page's tilt and joined into Lines, top to bottom, each left to right.

    The tilt is the median slope of the long boxes; turning every box back by it (about the
    page's centre) keeps a 1° scan's lines from overlapping their neighbours, so indents and
    columns stay visible.
    """
    slopes = [angle for angle, length, height in map(_direction, boxes) if length >= 4 * height]
    angle = statistics.median(slopes) if slopes else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = centre
    straight = []
    for box in boxes:
        xs, ys = zip(*((cx + (x - cx) * cos + (y - cy) * sin, cy + (y - cy) * cos - (x - cx) * sin) for x, y in box.corners))
        straight.append((min(xs), max(xs), min(ys), max(ys), box))
    rows: list[list[tuple]] = []
    for item in sorted(straight, key=lambda item: item[0]):
        row = next((row for row in rows if _continues(row[-1], item)), None)
        if row is None:
            rows.append([item])
        else:
            row.append(item)
    return sorted((_join(row) for row in rows), key=lambda line: (round(line.top), line.x0))


def _continues(last: tuple, item: tuple) -> bool:
    """Whether `item` carries on the line that ends with `last`: level with it and close to its right."""
    x0, _, top, bottom, _ = item
    _, last_x1, last_top, last_bottom, _ = last
    height = min(bottom - top, last_bottom - last_top)
    overlap = min(bottom, last_bottom) - max(top, last_top)
    return overlap >= 0.6 * height and -height <= x0 - last_x1 <= SAME_LINE_GAP * max(height, 1.0)


def _join(row: list[tuple]) -> Line:
    text = row[0][4].text
    for (_, last_x1, top, bottom, _), (x0, _, _, _, box) in zip(row, row[1:]):
        # A gap of half a character or more was a space on the page ("服务中心大局 在助力").
        text += (" " if x0 - last_x1 >= 0.5 * (bottom - top) else "") + box.text
    boxes = [item[4] for item in row]
    chars = sum(len(box.text) for box in boxes) or 1
    return Line(
        text=_quotes_paired(text.strip()),
        x0=round(min(item[0] for item in row), 2),
        x1=round(max(item[1] for item in row), 2),
        top=round(min(item[2] for item in row), 2),
        bottom=round(max(item[3] for item in row), 2),
        size=0.0,
        confidence=round(sum(box.score * len(box.text) for box in boxes) / chars, 4),
    )


def _quotes_paired(text: str) -> str:
    """Double quotes around a short phrase set as “…”: the recogniser often reads a closing one as opening (“大调研“).

    Only two marks that cannot both be right are changed (““, ””, or an ASCII " beside a
    curly one) and only around a phrase of at most 20 characters without punctuation, so a
    mark that OCR dropped altogether does not turn the ones after it round.
    """
    marks = [match.start() for match in _QUOTE.finditer(text)]
    chars = list(text)
    at = 0
    while at < len(marks) - 1:
        first, second = marks[at], marks[at + 1]
        inner = text[first + 1 : second]
        if chars[first] + chars[second] in _PAIRABLE and 1 <= len(inner) <= 20 and not _PHRASE_BREAK.intersection(inner):
            chars[first], chars[second] = "“", "”"
            at += 2
        else:
            at += 1
    return "".join(chars)


def _direction(box: Box) -> tuple[float, float, float]:
    """The angle of a box's baseline, its length and its height."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = box.corners
    angle = math.atan2((y1 + y2 - y0 - y3) / 2, (x1 + x2 - x0 - x3) / 2)
    return angle, math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
