"""Bytes -> text for .txt, .md and .html, and the one-line reason every reader's error gives.

Encoding detection for .txt, .md and .html, in this order:

1. A BOM decides: UTF-8, UTF-16 or UTF-32.
2. NUL bytes without a BOM mean a binary file (or UTF-16 without a BOM, which we refuse
   rather than guess at).
3. Strict UTF-8: text in GB18030 or Big5 almost never happens to be valid UTF-8.
4. Otherwise GB18030 (a superset of GB2312 and GBK) and Big5 are both tried, and the
   decoding with the higher share of frequent Chinese characters wins. Both must be tried:
   every Big5 byte pair is also a valid GB18030 pair, so Big5 text decodes as GB18030
   without error, only to mojibake. A wrong decoding is full of rare characters, kana,
   box drawing and private-use code points; a right one is over 90% frequent characters.
   The frequent set is GB2312 level 1 (3,755 simplified characters) plus Big5 level 1
   (5,401 traditional ones), read from Python's own codecs, so no data file ships.
   charset-normalizer is not used: its guesses change between versions, and the
   offsets of an index must not.
5. A winner that is still mostly rare characters is refused as undecodable rather than
   indexed as mojibake.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections import Counter
from pathlib import Path

from rag.errors import BadDocument

# UTF-32 first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Python's "big5" rejects the Microsoft and Hong Kong extensions; those files are still Big5
# to their authors, so the wider tables are tried when plain Big5 fails.
_BIG5_CODECS = ("big5", "cp950", "big5hkscs")
_COMMON_PUNCTUATION = "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕—…·．％～－　"
# A right decoding of a report scores above 0.9, the wrong one of the same bytes below 0.5.
_MIN_SCORE = 0.6
# Below this many non-ASCII characters the score says too little to refuse a file on: a
# 20-character byline of rare names (王成虎 孙伯秋 唐筱葳) plus a few odd symbols scored under 0.6.
_MIN_SCORED_CHARS = 40
# Control characters other than tab, newlines and form feed: stray ones happen in real
# files, a few percent of them only in binary data.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# ASCII and whitespace of any script (no-break spaces pad copied web text) say nothing about the decoding.
_NOT_SCORED = re.compile(r"[\x00-\x7f\s]+")
_SCORED_CHARS = 100_000


def read_plain(path: Path) -> str:
    """.txt and .md: the decoded file, untouched (markdown stays markdown)."""
    return decode(read_bytes(path), path)


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"{path}: cannot be read ({one_line(exc)})") from exc


def decode(data: bytes, path: Path, declared: str | None = None) -> str:
    """Bytes -> text by the order in the module docstring.

    `declared` is an HTML page's own charset label; it breaks the GB18030/Big5 tie only, as
    pages often declare a wrong charset and a wrong declaration must not produce mojibake.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _try_decode(data, encoding)
            if text is None:
                raise BadDocument(
                    f"{path}: starts with a {encoding.upper()} byte-order mark "
                    f"but is not valid {encoding.upper()}"
                )
            if "\x00" in text:
                raise BadDocument(f"{path}: binary content (NUL characters behind a text BOM)")
            return _checked(text, path)
    if b"\x00" in data:
        raise BadDocument(
            f"{path}: binary content (contains NUL bytes); if it is UTF-16 text without "
            "a byte-order mark, save it as UTF-8"
        )
    text = _try_decode(data, "utf-8")
    if text is not None:
        return _checked(text, path)

    scored = []
    for family in (("gb18030",), _BIG5_CODECS):
        for encoding in family:
            text = _try_decode(data, encoding)
            if text is not None:
                scored.append((encoding, text, *_score(text)))
                break
    if not scored:
        raise BadDocument(
            f"{path}: not text in UTF-8, UTF-16, GB18030/GBK or Big5 "
            "(a binary file, or another encoding: save it as UTF-8)"
        )
    preferred = _family(declared)
    # Highest score wins; on a tie the declared charset, then GB18030 (mainland reports).
    encoding, text, score, scored_chars = max(
        scored,
        key=lambda c: (c[2], _family(c[0]) == preferred, c[0] == "gb18030"),
    )
    if score < _MIN_SCORE and scored_chars >= _MIN_SCORED_CHARS:
        raise BadDocument(
            f"{path}: undecodable text: neither UTF-8, GB18030 nor Big5 gives readable Chinese "
            f"(best: {encoding}, {score:.0%} common characters); save it as UTF-8"
        )
    return _checked(text, path)


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _family(encoding: str | None) -> str | None:
    """"gbk", "GB2312", "x-gbk" -> "gb"; "big5", "cp950" -> "big5"; anything else None."""
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk", "gb18030", "cp936"):
        return "gb"
    if name in ("big5", "cp950", "big5hkscs"):
        return "big5"
    return None


def _checked(text: str, path: Path) -> str:
    """Refuse decoded text that is mostly control characters: binary that happened to decode."""
    controls = sum(1 for _ in _CONTROL.finditer(text))
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise BadDocument(f"{path}: binary content ({controls} control characters in {len(text)})")
    return text


def _score(text: str) -> tuple[float, int]:
    """(score, characters scored). The score is the share of frequent Chinese characters
    among the non-ASCII ones, minus the share of private-use and unassigned code points
    (which only a wrong decoding produces); 1.0 for pure ASCII.

    Only the first _SCORED_CHARS non-ASCII characters are looked at: the verdict is settled
    long before, and counting a 50 MB file would take seconds per candidate.
    """
    sample = _NOT_SCORED.sub("", text)[:_SCORED_CHARS]
    frequent = _frequent_chars()
    common = bad = 0
    for ch, n in Counter(sample).items():
        if ch in frequent:
            common += n
        elif unicodedata.category(ch) in ("Co", "Cn"):
            bad += n
    return ((common - bad) / len(sample) if sample else 1.0), len(sample)


@functools.cache
def _frequent_chars() -> frozenset[str]:
    """GB2312 level 1 + Big5 level 1 + common full-width punctuation, built on first use."""
    chars = set(_COMMON_PUNCTUATION)
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width ASCII
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            chars.update(bytes((lead, trail)).decode("gb2312", errors="ignore"))
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (lead, trail) >= (0xC6, 0xA1):  # C6A1 onwards is not level 1
                break
            chars.update(bytes((lead, trail)).decode("big5", errors="ignore"))
    return frozenset(chars)


def one_line(exc: BaseException) -> str:
    """An exception as a short single line, for messages that must stay one line."""
    detail = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
