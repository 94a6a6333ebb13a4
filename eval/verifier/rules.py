"""The rules that turn a report sentence into a faithful or a fabricated answer sentence.

Each rule takes a Source (a report sentence and the chunk it stands in), a seeded Random and
all sources, and returns (sentence, extra passages) or None when it does not apply. A sentence
comes back without its [n] marker; the caller adds "[1]" (the cited chunk) unless the rule
writes markers itself. See eval/verifier/README.md for what each rule does and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import opencc

_T2S, _S2T = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")


@dataclass(frozen=True)
class Source:
    text: str  # a report sentence, without its final 。 or ；
    chunk: object  # rag.records.Chunk it stands in


# --- numbers ------------------------------------------------------------------------------

_COUNTERS = "场次|人次|批次|万元|亿元|元|件|篇|个|次|场|名|位|人|家|项|条|期|批|場|個|項|條"
NUMBER = re.compile(rf"(?<![第\d.])(?P<num>\d+(?:\.\d+)?)(?P<approx>余|多|餘)?(?P<scale>万|亿|萬|億)?(?P<unit>%|{_COUNTERS})")
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|「[^」]*」")
_DIGITS = "零一二三四五六七八九"


def zh(value: float, counter: bool = True) -> str:
    """159 -> 一百五十九, 10 -> 十, 1012 -> 一千零一十二, 76.5 -> 七十六点五, 2 -> 两 (before a counter)."""
    whole = int(value)
    text = _zh_int(whole)
    if value != whole:
        text += "点" + "".join(_DIGITS[int(d)] for d in repr(value).split(".")[1])
    return "两" if text == "二" and counter else text


def _zh_int(n: int) -> str:
    if n >= 10_000:
        high, low = divmod(n, 10_000)
        rest = _zh_int(low) if low else ""
        return _zh_int(high) + "万" + ("零" + rest if rest and low < 1000 else rest)
    if n == 0:
        return "零"
    parts, zero = [], False
    for size, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, size)
        if digit:
            if zero:
                parts.append("零")
            parts.append(_DIGITS[digit] + name)
            zero = False
        elif parts:
            zero = True
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def numbers(text: str) -> list[re.Match]:
    """Arabic counts with a counter or %, outside quotes and titles, not years or ordinals."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    return [m for m in NUMBER.finditer(text) if not any(a <= m.start() < b for a, b in quoted)]


def written(value: float, unit: str, approx: str, scale: str, notation: str) -> str:
    shown = int(value) if value == int(value) else value
    if notation == "chinese":
        if unit == "%":
            return "百分之" + zh(value, counter=False)
        return zh(value, counter=True) + approx + scale + unit
    digits = str(shown)
    if notation == "fullwidth":
        digits = digits.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789."})
    return digits + approx + scale + unit


# --- faithful -------------------------------------------------------------------------------

_CLAUSE = re.compile(r"[,，]")
_OWN_SUBJECT = re.compile(r"^(?:县政协|区政协|市政协|區政協|市政協)")
# Plain synonyms of this register: either word says the same of the same event.
GEN_SYNONYMS = [
    ("召开", "举行"), ("举办", "举行"), ("围绕", "聚焦"), ("推动", "推进"), ("刊登", "刊发"), ("刊载", "刊发"),
    ("采用", "采纳"), ("帮助", "协助"), ("积极", "主动"), ("持续", "不断"), ("加强", "强化"), ("完善", "健全"),
    ("助力", "助推"), ("先后", "相继"), ("制定", "出台"), ("出台", "制定"), ("收集", "征集"), ("征集", "收集"),
    ("报送", "上报"), ("化解", "解决"), ("邀请", "特邀"), ("深入开展", "扎实开展"), ("聘请", "聘任"), ("开设", "开通"),
]


def _simplified(source: Source) -> bool:
    return _T2S.convert(source.text) == source.text


def verbatim(source, rng, _):
    return source.text, ()


def subject(source, rng, _):
    name = source.chunk.short_name
    if not _simplified(source) or "政协" in source.text[2:8]:
        return None
    if _OWN_SUBJECT.match(source.text):
        return _OWN_SUBJECT.sub(name, source.text), ()
    return None if source.text.startswith(name) else (name + source.text, ())


def _clauses(text):
    return _CLAUSE.split(text)


def reorder(source, rng, _):
    clauses = _clauses(source.text)
    if len(clauses) < 3 or any(len(c) < 5 for c in clauses[1:]):
        return None
    i = rng.randrange(1, len(clauses) - 1)
    clauses[i], clauses[i + 1] = clauses[i + 1], clauses[i]
    return "，".join(clauses), ()


def synonym(source, rng, _):
    """Up to two words swapped for a synonym, never inside a quoted term or title (quotes are verbatim)."""
    text = _T2S.convert(source.text)
    swaps = [(a, b) for a, b in GEN_SYNONYMS if a in text and not _quoted(text, text.find(a))]
    if not swaps:
        return None
    for a, b in rng.sample(swaps, min(2, len(swaps))):
        at = text.find(a)
        if not _quoted(text, at):
            text = text[:at] + b + text[at + len(a):]
    return text, ()


def _quoted(text: str, at: int) -> bool:
    return any(a <= at < b for a, b in (m.span() for m in _QUOTED.finditer(text)))


def drop_clause(source, rng, _):
    clauses = _clauses(source.text)
    if len(clauses) < 3:
        return None
    del clauses[rng.randrange(1, len(clauses))]
    return "，".join(clauses), ()


def zh_numerals(source, rng, _):
    found = [m for m in numbers(source.text) if float(m["num"]) < 100_000]
    if not found:
        return None
    text = source.text
    for m in reversed(found):
        text = text[: m.start()] + written(float(m["num"]), m["unit"], m["approx"] or "", m["scale"] or "", "chinese") + text[m.end():]
    return text, ()


def t2s(source, rng, _):
    return None if _simplified(source) else (_T2S.convert(source.text), ())


def s2t(source, rng, _):
    return None if not _simplified(source) else (_S2T.convert(source.text), ())


def fullwidth(source, rng, _):
    if not re.search(r"\d", source.text):
        return None
    return source.text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789%"}), ()


def approx_synonym(source, rng, _):
    found = [m for m in numbers(source.text) if m["approx"]]
    if not found:
        return None
    m = found[0]
    other = {"余": "多", "多": "余", "餘": "多"}[m["approx"]]
    return source.text[: m.start("approx")] + other + source.text[m.end("approx"):], ()


FAITHFUL = {
    "verbatim": verbatim, "subject": subject, "reorder": reorder, "synonym": synonym,
    "drop_clause": drop_clause, "zh_numerals": zh_numerals, "t2s": t2s, "s2t": s2t,
    "fullwidth": fullwidth, "approx_synonym": approx_synonym,
}
