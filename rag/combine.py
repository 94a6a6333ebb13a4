"""A message holding several questions -> each asked on its own, their answers as one.

"姜堰区政协办了几期“政协讲堂”？金湖县政协那场专题报告会是第几期“政协讲坛”？" asks two things of two
committees; read as one question it has one topic, and one of the two is lost. Each question of
the message is answered on its own (a later one reading the earlier ones as the conversation
before it, so "金湖呢？" keeps the topic), and the answers are put together under their questions,
citations numbered on through the whole answer.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rag.answer import DIRECT, NOT_FOUND, RELATED
from rag.records import Answer

# A question ends at a question mark that more text follows; a part needs a few characters of its
# own to be a question ("是吗？" is no question of its own).
_QUESTION_END = re.compile(r"(?<=[？?])\s*")
_MIN_QUESTION_CHARS = 6
_MARKER = re.compile(r"\[(\d+)\]")


def split_questions(message: str) -> list[str]:
    """The questions of `message`, in order; one item when it asks one thing."""
    parts = [part.strip() for part in _QUESTION_END.split(message.strip()) if part.strip()]
    if len(parts) < 2 or any(len(part) < _MIN_QUESTION_CHARS for part in parts):
        return [message]
    return parts


def combined(message: str, answers: list[Answer]) -> Answer:
    """The answers to the questions of `message` as one Answer: each under its question."""
    texts, quotes, citations, related = [], [], [], []
    for answer in answers:
        offset = len(citations)
        text = _MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", answer.text) if offset else answer.text
        texts.append(f"【{answer.question}】\n{text}")
        quotes += [replace(q, citation=q.citation + offset) for q in answer.quotes]
        citations += [replace(c, number=c.number + offset) for c in answer.citations]
        related += [hit for hit in answer.related if hit not in related]
    answered = [a for a in answers if not a.abstained]
    verdict = DIRECT if all(a.verdict == DIRECT for a in answers) else RELATED if answered else NOT_FOUND
    return Answer(
        question=message,
        standalone=message,
        text="\n\n".join(texts),
        quotes=tuple(quotes),
        citations=tuple(citations),
        abstained=not answered,
        related=tuple(related),
        reason="；".join(a.reason for a in answers if a.reason),
        verdict=verdict,
        confidence=min((a.confidence for a in answered), default=max(a.confidence for a in answers)),
        reading="；".join(dict.fromkeys(a.reading for a in answers if a.reading)),
        notice="；".join(dict.fromkeys(a.notice for a in answers if a.notice)),
    )
