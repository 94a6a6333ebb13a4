"""question + SearchResult -> Answer: verbatim sentences of the retrieved passages, each cited, or an honest "not in the reports".

The default answerer is extractive, so a figure can never be altered: every sentence of
an answer is an exact slice of a cited passage (`Quote.start/end` index the report file).
- Candidate sentences are scored by rag.choose (term coverage with the reports' own wording,
  answer-type fit, period fit, passage rank); a question gets at most three, shown in citation
  order, each followed by its [n] marker.
- A question across committees ("各地…", "分别…", or naming several) gets one line per
  committee: its best sentence, labelled with the committee.
- Whether the best sentence answers is decided, not assumed (`_verdict`): a figure question
  needs a figure attached to the thing asked, a place/organisation/person question a sentence
  naming one, a question about a year a passage about that year, and every question enough of
  its terms. Otherwise the answer is RELATED: "the reports do not say", with the closest
  sentences and passages shown as related, never as the answer. NOT_FOUND when retrieval
  itself abstained (no report of the committee asked about, key terms absent).
"""

from __future__ import annotations

import math
import re
from typing import Callable

from rag.choose import Candidate, candidates, question_terms
from rag.fit import LOOSE, UNCLEAR
from rag.question import Asked, read_question
from rag.records import Answer, Citation, Quote, SearchResult
from rag.text import normalize

DIRECT = "直接回答"
RELATED = "相关内容，未直接回答"
NOT_FOUND = "报告未提及"
MAX_SENTENCES = 3
MAX_COMMITTEES = 8
_ACROSS = re.compile(r"各地|各个|各县|各市|各区|各家|哪些地方|哪些政协|哪几个|分别|对比|比较|各政协|都有|都在|each|every|which committees", re.I)
# The least share of a question's term weight the chosen sentence must hold to count as an
# answer. Swept on eval/questions.jsonl (186 questions) with `rag ask --jsonl`: 0 declined 82%
# of the unanswerable ones, 0.05 97% with 0.7% answerable declined, 0.08 100% with 3.3%; the
# type gates in `_verdict` do most of the work, so a low floor only stops sentences sharing
# (almost) nothing with the question. The dev set (not used for the choice) gives 100/100/0.
MIN_COVERAGE = 0.05
_CONFIDENCE_SLOPE = 8.0
_TYPED = ("place", "organisation", "person", "title", "date", "ordinal", "figures")
_KIND_WORDS = {
    "number": "数字", "figures": "数字", "ordinal": "届次或期数", "place": "地点", "organisation": "单位名称",
    "person": "人名", "title": "名称", "date": "时间",
}


def answer(
    question: str,
    result: SearchResult,
    standalone: str | None = None,
    named: int = 0,
    names: tuple[str, ...] = (),
    idf: Callable[[str], float] = lambda term: 1.0,
) -> Answer:
    """Build the extractive answer to `question` from `result` (the search for `standalone`).

    `named` is how many committees the question names; two or more asks for a per-committee
    answer. `names` are committee names to leave out of sentence matching: every sentence of
    the committee's report "matches" them. `idf(term)` weighs rare terms up ("经科委" says
    more about a sentence than "特色").
    """
    standalone = standalone or question
    if result.abstain or not result.hits:
        return _abstention(question, standalone, result, NOT_FOUND, result.reason)
    asked = read_question(standalone)
    pool = candidates(result.hits, question_terms(standalone, names, idf), asked)
    if not pool:
        return _abstention(question, standalone, result, NOT_FOUND, "没有找到足以回答的段落")
    if named >= 2 or (named == 0 and _ACROSS.search(standalone) is not None):
        return _across(question, standalone, result, pool, asked)
    # A question about one committee is answered from that committee's report only.
    own = [c for c in pool if named == 1 and c.hit.chunk.report_id == result.hits[0].chunk.report_id]
    pool = own or pool
    chosen = _best(pool)
    best = max(chosen, key=lambda c: c.score)
    problem = _verdict(pool, best, asked)
    confidence = _confidence(best, asked)
    if problem:
        return _abstention(question, standalone, result, RELATED, problem, confidence)
    return _assemble(question, standalone, result, chosen, labelled=False, confidence=confidence)


def _across(question: str, standalone: str, result: SearchResult, pool: list[Candidate], asked: Asked) -> Answer:
    # "哪些地方开展了“X”": only committees whose sentence names X belong in the list.
    quoting = [c for c in pool if any(p in normalize(c.text) for p in asked.phrases)]
    pool = quoting or pool
    if asked.kind == "number":
        pool = [c for c in pool if c.fit >= LOOSE] or pool
    elif asked.kind in _TYPED:
        # Each committee's line names what was asked (a place, a title) where its report has one.
        fitting = {c.hit.chunk.report_id for c in pool if c.fit >= LOOSE}
        pool = [c for c in pool if c.fit >= LOOSE or c.hit.chunk.report_id not in fitting]
    chosen = _per_committee(pool)
    confidence = max(_confidence(c, asked) for c in chosen)
    return _assemble(question, standalone, result, chosen, labelled=True, confidence=confidence)


def _verdict(pool: list[Candidate], best: Candidate, asked: Asked) -> str:
    """Why the best sentence does not answer the question, or "" when it does."""
    kind = _KIND_WORDS.get(asked.kind, "")
    if asked.years and not any(c.in_period for c in pool):
        years = "、".join(str(y) for y in asked.years)
        return f"报告中没有关于{years}年的相关内容"
    if asked.kind == "number" and not any(c.fit >= UNCLEAR and c.in_period for c in pool):
        return "报告中没有与所问对象对应的数字"
    if asked.kind in _TYPED and not any(c.fit >= LOOSE for c in pool):
        return f"报告中没有找到所问的{kind}"
    if best.coverage < MIN_COVERAGE:
        return "相关段落没有直接回答这个问题"
    if asked.kind == "number" and (best.fit < UNCLEAR or not best.in_period):
        return "报告中没有与所问对象对应的数字"
    return ""


def _confidence(best: Candidate, asked: Asked) -> float:
    """A 0-1 reading of how well the best sentence answers: 0.5 at the coverage threshold."""
    fit = max(best.fit, 0.0) if asked.kind != "other" else 0.5
    margin = best.coverage - MIN_COVERAGE + 0.2 * (fit - 0.5) + (0.0 if best.in_period else -0.3)
    return round(1.0 / (1.0 + math.exp(-_CONFIDENCE_SLOPE * margin)), 3)


def _best(pool: list[Candidate]) -> list[Candidate]:
    ranked = sorted(pool, key=lambda c: (-c.score, c.hit_rank, c.start))
    top = ranked[0]
    chosen = [top]
    for candidate in ranked[1:]:
        if len(chosen) == MAX_SENTENCES or candidate.score < 0.6 * top.score or candidate.score <= 0.2:
            break
        if not any(_overlaps(candidate, c) for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: (c.hit_rank, c.start))


def _per_committee(pool: list[Candidate]) -> list[Candidate]:
    """The best sentence of each committee among the hits, committees in order of their best hit."""
    best: dict[str, Candidate] = {}
    for candidate in sorted(pool, key=lambda c: (-c.score, c.hit_rank, c.start)):
        best.setdefault(candidate.hit.chunk.report_id, candidate)
    chosen = sorted(best.values(), key=lambda c: c.hit_rank)[:MAX_COMMITTEES]
    return [c for c in chosen if c.score > 0.1] or chosen[:1]


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.hit.chunk.doc == b.hit.chunk.doc and a.start < b.end and b.start < a.end


def _assemble(
    question: str, standalone: str, result: SearchResult, chosen: list[Candidate], labelled: bool, confidence: float
) -> Answer:
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    quotes: list[Quote] = []
    for candidate in chosen:
        chunk = candidate.hit.chunk
        if chunk.chunk_id not in numbers:
            numbers[chunk.chunk_id] = len(numbers) + 1
            citations.append(Citation(numbers[chunk.chunk_id], chunk, candidate.hit.score))
        label = chunk.short_name if labelled else ""
        quotes.append(Quote(candidate.text, candidate.start, candidate.end, numbers[chunk.chunk_id], label))
    if labelled:
        text = "\n".join(f"{q.label}：{q.text}[{q.citation}]" for q in quotes)
    else:
        text = "".join(f"{q.text}[{q.citation}]" for q in quotes)
    return Answer(
        question, standalone, text, tuple(quotes), tuple(citations), abstained=False,
        verdict=DIRECT, confidence=confidence, reading=result.reading,
    )


def _abstention(
    question: str, standalone: str, result: SearchResult, verdict: str, reason: str, confidence: float = 0.0
) -> Answer:
    reason = reason or "没有找到足以回答的段落"
    text = f"所收录的报告中没有找到这个问题的答案（{reason}）。"
    if result.hits:
        text += "以下段落可能相关，仅供参考。"
    return Answer(
        question, standalone, text, (), (), abstained=True, related=result.hits[:3], reason=reason,
        verdict=verdict, confidence=min(confidence, 0.5), reading=result.reading,
    )
