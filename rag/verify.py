"""A generated answer + its numbered passages -> one SentenceCheck per sentence.

A sentence (`rag.text.sentence_spans`: a ；-clause or a line is one too) is supported when
it carries at least one [n] marker, every marker names a passage that exists, and every
number in it (figures, percentages, years) appears in one of the passages it cites.
Numbers are compared as values (`rag.text.numbers`). Unsupported sentences are kept and
marked, not dropped: dropping a sentence can change what the rest means, and the reader
should see what the model claimed.
"""

from __future__ import annotations

import re

from rag.records import Chunk, SentenceCheck
from rag.text import numbers, sentence_spans

_MARKER = re.compile(r"\[(\d{1,3})\]")


def check_answer(text: str, passages: dict[int, Chunk]) -> tuple[SentenceCheck, ...]:
    """`passages`: citation number -> chunk, as numbered in the prompt."""
    values = {number: _values(chunk.text) for number, chunk in passages.items()}
    checks = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
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
    for written, candidates in numbers(_MARKER.sub("", sentence)):
        if not candidates & cited_values:
            where = "".join(f"[{n}]" for n in cited if n in values) or "来源"
            problems.append(f"数字“{written}”不在{where}中")
    return SentenceCheck(sentence, cited, supported=not problems, problems=tuple(problems))


def _values(text: str) -> set[float]:
    return {value for _, candidates in numbers(text) for value in candidates}
