"""Running headers, footers and page numbers: the lines of a paged document that are not its text.

A line is furniture only where a running header or footer stands, in the top or bottom band of
its page, and only when it also looks like one: a page number ("— 3 —", "第 3 页 共 8 页",
"3/8"), a print date or time, a URL, text repeated on most pages once digits are masked (a
running title with its page number), or a line in smaller type set apart above or below all the text
of the page (a browser's header with the page title). A line set larger than the text is never
furniture, so a title that a running head repeats stays. A date without a time ("2024年1月15日") is
left alone: reports end with one.

Scanned pages are read as OCR gives them: a running head may differ by a misread character from
page to page, a URL may start "fil://", and a line without Chinese has only its box's height to
tell its type size by, which overstates it (digits, slashes and a photo's perspective).
"""

from __future__ import annotations

import math
import re
import statistics
from difflib import SequenceMatcher

from rag.readers.geometry import char_width

# Headers and footers sit in the margins: 12% of the page height covers A4 official documents
# (37 mm top margin) and browser prints (about 0.4 in).
BAND = 0.12
SMALL_TYPE = 0.8  # a header's type is this much smaller than the text's, or less
# Larger than the text by more than this: never furniture. For an OCR'd line without Chinese the
# size is its box's height, which reads a print date or page number up to 1.45 times the text's
# type on a photo (tests/files/scans/jinhu_hongze_photo.png); a title is set larger still.
_LARGER = 1.05
_LARGER_BY_BOX = 1.6
# A header stands apart from the text, further than a small heading at the top of a page does.
_APART = 1.0  # times the body type size
_SAME_PLACE = 0.02  # of the page height: how far a running head strays between pages (a scan's tilt)

# OCR reads the dashes of "— 3 —" as 一 as often as not.
_DASHES = r"[-—–－~～·•一\s]*"
_PAGE_NUMBER = re.compile(
    rf"""(?ix)^(?:
        {_DASHES}\d{{1,4}}{_DASHES}
      | 第\s*\d+\s*[页頁](?:\s*[,，/、]?\s*共\s*\d+\s*[页頁])?
      | 共\s*\d+\s*[页頁](?:\s*[,，/、]?\s*第\s*\d+\s*[页頁])?
      | \d+\s*/\s*\d+
      | (?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?
    )$"""
)
_TIME = r"(?:上午|下午)?\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?|上午|下午)?"
_PRINT_STAMP = re.compile(
    rf"""(?x)^(?:
        \d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}(?:[,\s]+{_TIME})?
      | \d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日[,\s]*{_TIME}
      | {_TIME}
    )$"""
)
# "fil://tmp/…": OCR drops a letter or a slash now and then; a start within one misread
# character of a scheme ("file;//", "htp://", "www,") counts too.
_URL = re.compile(r"(?i)^(?:[a-z]{3,5}:/{1,3}|www\.)\S+$")
_SCHEMES = ("file:///", "file://", "http://", "https://", "www.")


def furniture(pages: list[list], heights: list[float], sizes: list[list[float]]) -> list[set[int]]:
    """Indexes of the furniture lines of each page.

    `pages[n]` holds the Lines of page n, `heights[n]` is its height and `sizes[n][i]` the type
    size of its line i (for OCR, what the line's height says of it).
    """
    running = _running(pages, heights)
    bodies = _body_sizes(pages, heights, sizes)
    found = []
    for page, (lines, height, size) in enumerate(zip(pages, heights, sizes)):
        body = bodies[_scanned(lines)]
        body_lines = [
            line for line, line_size in zip(lines, size) if line_size >= 0.9 * body and not looks_like_furniture(line.text)
        ]
        text_top = min((line.top for line in body_lines), default=height)
        text_bottom = max((line.bottom for line in body_lines), default=0.0)
        drop = set()
        for number, line in enumerate(lines):
            # Running heads are never set larger than the text: a title that repeats one is kept.
            if not in_band(line, height) or size[number] > _larger(line) * body:
                continue
            apart = _APART * body
            small_outside = size[number] < SMALL_TYPE * body and (
                line.bottom <= text_top - apart or line.top >= text_bottom + apart
            )
            if small_outside or looks_like_furniture(line.text) or (page, number) in running:
                drop.add(number)
        found.append(drop)
    return found


def looks_like_furniture(text: str) -> bool:
    """A page number, print date or time, or URL, whatever the page."""
    text = text.strip()
    return bool(_PAGE_NUMBER.match(text) or _PRINT_STAMP.match(text) or _url(text))


def _url(text: str) -> bool:
    if _URL.match(text):
        return True
    text = re.sub(r"\s+", "", text).lower()
    return len(text) >= 10 and any(
        _one_edit(text[: len(scheme) + shift], scheme) for scheme in _SCHEMES for shift in (-1, 0, 1)
    )


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b differ by at most one character replaced, left out or added."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _larger(line) -> float:
    """How much larger than the text a furniture line may measure: a size read off a box's height is rough."""
    return _LARGER_BY_BOX if line.confidence is not None and char_width(line) is None else _LARGER


def in_band(line, height: float) -> bool:
    return line.bottom <= BAND * height or line.top >= (1 - BAND) * height


def _running(pages: list[list], heights: list[float]) -> set[tuple[int, int]]:
    """(page, line) of the band lines whose text (digits masked) stands at the same place on at
    least half of the pages, and on two at least. The same place: a title on page 1 that repeats
    the running head lower down is kept. The same text: or nearly, as OCR may misread a
    character of a scanned page's head."""
    if len(pages) < 2:
        return set()
    groups: list[tuple[str, float, list[tuple[int, int]]]] = []  # text, place, members
    for page, (lines, height) in enumerate(zip(pages, heights)):
        for number, line in enumerate(lines):
            key, place = _key(line.text), _middle(line) / height
            if not key or not in_band(line, height):
                continue
            group = next((g for g in groups if abs(g[1] - place) <= _SAME_PLACE and _alike(g[0], key)), None)
            if group is None:
                groups.append((key, place, [(page, number)]))
            else:
                group[2].append((page, number))
    need = max(2, math.ceil(len(pages) / 2))
    return {member for _, _, members in groups if len({page for page, _ in members}) >= need for member in members}


def _alike(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 6 and SequenceMatcher(None, a, b).ratio() >= 0.8)


def _middle(line) -> float:
    return (line.top + line.bottom) / 2


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _body_sizes(pages: list[list], heights: list[float], sizes: list[list[float]]) -> dict[bool, float]:
    """The type size most characters of the document are set in, for text-layer pages (False)
    and scanned ones (True), whose sizes are measured differently. Counted outside the bands
    where there is text: a last page of two lines has more characters in its footer's URL."""
    bodies = {}
    for scanned in (False, True):
        chosen = [(lines, height, size) for lines, height, size in zip(pages, heights, sizes) if _scanned(lines) == scanned]
        for outside_bands in (True, False):
            weighted = [
                line_size
                for lines, height, size in chosen
                for line, line_size in zip(lines, size)
                if not (outside_bands and in_band(line, height))
                for _ in range(max(1, len(line.text)))
            ]
            if weighted:
                bodies[scanned] = statistics.median(weighted)
                break
        bodies.setdefault(scanned, 0.0)
    return bodies


def _scanned(lines: list) -> bool:
    return any(line.confidence is not None for line in lines)
