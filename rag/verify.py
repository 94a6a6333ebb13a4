"""A generated answer + its numbered passages -> one SentenceCheck per sentence.

A sentence is supported when it carries at least one [n] marker, every marker names a
passage that exists, and every number in it (figures, percentages, years) appears in
one of the passages it cites. Numbers are compared as values after folding the ways
reports write them: full-width digits, 百分之十五 / 15%, 1400余万元 / 1400万 / 14000000,
"1,234". Unsupported sentences are kept and marked, not dropped: dropping a sentence can
change what the rest means, and the reader should see what the model claimed.
"""

from __future__ import annotations

import re
import unicodedata

from rag.records import Chunk, SentenceCheck

_SENTENCE = re.compile(r"[^。！？!?\n]+(?:[。！？!?]+|$)")
_MARKER = re.compile(r"\[(\d{1,3})\]")
_NUMBER = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(余|多)?\s*(万|亿)?\s*(%)?")
_PERCENT_WORDS = re.compile(r"百分之([\d.]+)")
_SCALE = {"万": 10_000, "亿": 100_000_000}


def check_answer(text: str, passages: dict[int, Chunk]) -> tuple[SentenceCheck, ...]:
    """`passages`: citation number -> chunk, as numbered in the prompt."""
    values = {number: _values(chunk.text) for number, chunk in passages.items()}
    checks = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip()
        if not _MARKER.sub("", sentence).strip(" 。，,；;：:\n"):
            continue
        checks.append(_check(sentence, values, len(passages)))
    return tuple(checks)


def _check(sentence: str, values: dict[int, set[float]], count: int) -> SentenceCheck:
    cited = tuple(int(n) for n in _MARKER.findall(sentence))
    problems = []
    if not cited:
        problems.append("没有引用标注")
    missing = [n for n in cited if n not in values]
    for n in missing:
        problems.append(f"引用了[{n}]，但只有{count}段来源")
    cited_values = set().union(*(values[n] for n in cited if n in values)) if cited else set()
    for written, candidates in _numbers(_MARKER.sub("", sentence)):
        if not candidates & cited_values:
            where = "".join(f"[{n}]" for n in cited if n in values) or "来源"
            problems.append(f"数字“{written}”不在{where}中")
    return SentenceCheck(sentence, cited, supported=not problems, problems=tuple(problems))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _PERCENT_WORDS.sub(r"\1%", text)


def _numbers(text: str) -> list[tuple[str, set[float]]]:
    """Each number written in `text`, with the values it may stand for."""
    found = []
    for match in _NUMBER.finditer(_fold(text)):
        digits, _, scale, percent = match.groups()
        base = float(digits.replace(",", ""))
        candidates = {base}
        if scale:
            candidates.add(base * _SCALE[scale])
        if percent:
            candidates = {base}  # 76.5% must match a 76.5 in the source, which is then a percentage too
        found.append((match.group().strip(), candidates))
    return found


def _values(text: str) -> set[float]:
    return {value for _, candidates in _numbers(text) for value in candidates}
