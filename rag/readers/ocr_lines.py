"""RapidOCR's boxes on one page -> layout Lines: straightened, joined along each printed line, misreadings set right.

The boxes come as quadrilaterals in no particular order; a scan may be turned by a degree,
and RapidOCR splits a line at a wide space. What the recogniser is known to get wrong and can be
told from the page itself is corrected here: punctuation written in the other width than it is
printed in, and quotation marks turned the wrong way round (a Traditional page's characters:
rag.readers.ocr_script).
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
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
    # Where along the box each character of `text` was read, as a fraction of the box's length
    # (the recogniser's CTC column); empty when the engine does not tell.
    places: tuple[float, ...] = ()
    # For each character of `text`, the one the recogniser scored next and that score ("", 0.0: none).
    runners: tuple[tuple[str, float], ...] = ()


# Marks printed either half-width or full-width. The recogniser writes whichever form it
# likes (mostly the full-width one), so the width they take on the page decides.
_HALF = {"，": ",", "；": ";", "：": ":", "（": "(", "）": ")", "！": "!", "？": "?"}
_FULL = {half: full for full, half in _HALF.items()}
_DASH = set("一—－-")
# In ems (the advance of an ideograph on the same line). On four pages of bench/ocr.py's scans,
# printed once with the reports' ASCII marks and once with full-width ones, 162 of 168 half-width
# marks measured 0.0-0.45 and 170 of 178 full-width ones 0.8-1.2. One CTC column is about 0.2 em
# of 16 px type at 110 dpi, so a reading is sure outside 0.45-0.85.
_NARROW_EMS = 0.7
_SURELY_NARROW, _SURELY_WIDE = 0.45, 0.85
_HABIT = 0.8  # share of the page's surely measured marks that makes its habit, three at least
_DOUBLE_DASH_EMS = 1.6  # "——" is two ems wide; read as one "一", which is one


def as_printed(boxes: list[Box]) -> list[Box]:
    """Punctuation written in the width it is printed in: "," where a half-width comma stands,
    "，" where a full-width one does (the same for ; : ( ) ! ?), and "——" for a dash two
    characters wide that was read as "一".

    A mark's width is measured from where the characters either side of it were read, in units of
    the advance between ideographs on the same line. A mark that cannot be measured (at the end of
    a line, beside a quote) or measures in between takes the width that the page's surely measured
    marks have, since a document keeps to one style; a page without such a habit leaves it as read.
    A mark with only ASCII beside it is left alone ("1,000", "8:30", "file://").
    """
    measured = [_mark_widths(box) for box in boxes]
    sure = [
        width
        for box, widths in zip(boxes, measured)
        for i, width in widths.items()
        if box.text[i] not in _DASH and width is not None and not _SURELY_NARROW <= width <= _SURELY_WIDE
    ]
    narrow = sum(w < _SURELY_NARROW for w in sure)
    habit = None
    if len(sure) >= 3 and max(narrow, len(sure) - narrow) >= _HABIT * len(sure):
        habit = narrow > len(sure) - narrow
    return [_rewritten(box, widths, habit) for box, widths in zip(boxes, measured)]


def _mark_widths(box: Box) -> dict[int, float | None]:
    """The width in ems of each mark of `_HALF`, `_FULL` and `_DASH` in the box; None where it cannot be measured."""
    text = box.text
    marks = [i for i, char in enumerate(text) if (char in _HALF or char in _FULL or char in _DASH) and not _latin(text, i)]
    em = ideograph_advance(text, box.places)
    return {i: None if em is None else _width(box, i, em) for i in marks}


def ideograph_advance(text: str, places) -> float | None:
    """The median distance between two ideographs read side by side, if `text` has three such pairs.

    `places` holds where each character of `text` was read along its line."""
    if len(places) != len(text):
        return None
    steps = [b - a for a, b, c, d in zip(places, places[1:], text, text[1:]) if ideograph(c) and ideograph(d) and b > a]
    return statistics.median(steps) if len(steps) >= 3 else None


def _width(box: Box, i: int, em: float) -> float | None:
    """The width in ems of the character at i: the distance between its neighbours less half of each.

    A dash at the start of a line is measured from its own place to the next character's: the
    recogniser places a dash, as an ideograph, about half an em into it.
    """
    text, at = box.text, box.places
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if not _solid(after):
        return None
    if _solid(before):
        return (at[i + 1] - at[i - 1]) / em - (_ems(before) + _ems(after)) / 2
    if text[i] in _DASH and not before:
        return (at[i + 1] - at[i]) / em - _ems(after) / 2 + 0.5
    return None


def _rewritten(box: Box, widths: dict[int, float | None], habit: bool | None) -> Box:
    if not widths:
        return box
    chars = list(box.text)
    for i, width in widths.items():
        char = chars[i]
        if char in _DASH:
            if width is not None and width >= _DOUBLE_DASH_EMS:
                chars[i] = "——"
            continue
        if width is not None and not _SURELY_NARROW <= width <= _SURELY_WIDE:
            narrow = width < _SURELY_NARROW
        elif habit is not None:
            narrow = habit
        elif width is not None:
            narrow = width < _NARROW_EMS
        else:
            continue
        chars[i] = _HALF.get(char, char) if narrow else _FULL.get(char, char)
    text = "".join(chars)
    if text == box.text:
        return box
    same_length = len(text) == len(box.text)
    return Box(box.corners, text, box.score, box.places if same_length else (), box.runners if same_length else ())


def _latin(text: str, i: int) -> bool:
    """Whether the character at i has only ASCII beside it ("1,000", "8:30", "file://"): Latin text keeps its marks."""
    return (text[max(i - 1, 0) : i] + text[i + 1 : i + 2]).isascii()


def ideograph(char: str) -> bool:
    return char.isalnum() and unicodedata.east_asian_width(char) in "WF"


def _solid(char: str) -> bool:
    """A letter, digit or ideograph: a character whose place the recogniser reads at its middle."""
    return char.isalnum()


def _ems(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.55


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
