"""question + SearchResult -> Answer: verbatim sentences of the retrieved passages, each cited.

The default answerer is extractive, so a figure can never be altered: every sentence of
an answer is an exact slice of a cited passage (`Quote.start/end` index the report file).
- A question gets at most three sentences, ranked by how many of its terms they hold;
  a figure question ("多少", "几", "比例", "how many") prefers sentences with a figure.
  They are shown in citation order, each followed by its [n] marker.
- A question across committees ("各地…", "分别…", or naming several) gets one line per
  committee: its best sentence, labelled with the committee.
- When the retriever abstains, the answer says the reports do not contain it and lists
  the closest passages as "可能相关"; nothing is quoted as an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from rag.lexicon import chinese_terms_for_english
from rag.records import Answer, Citation, Hit, Quote, SearchResult
from rag.text import GENERIC_WORDS, has_figure, is_mostly_english, normalize, says_nothing, sentence_spans, tokenize

MAX_SENTENCES = 3
MAX_COMMITTEES = 8
_FIGURE_QUESTION = re.compile(r"多少|几[个件次项篇名位条批场家人年]?|比例|比率|数字|数据|[率额量]|how many|how much|number|percent|rate", re.I)
_ACROSS = re.compile(r"各地|各个|各县|各市|各区|各家|哪些地方|哪些政协|哪几个|分别|对比|比较|各政协|都有|都在|each|every|which committees", re.I)
_NAME_QUESTION = re.compile(r"叫什么|名字|名称|书名|题目|标题|哪位|是谁|请了谁|哪家|哪所|哪个|什么书|什么节目|what is the name|which|who", re.I)
_HAS_NAME = re.compile(r"《[^》]+》|“[^”]+”")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,30})[”\"」』]")


@dataclass(frozen=True, slots=True)
class _Candidate:
    hit_rank: int
    start: int
    end: int
    text: str
    score: float
    hit: Hit


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
        return _abstention(question, standalone, result)
    terms = _terms(standalone, names, idf)
    wants = _Wants(
        figure=bool(_FIGURE_QUESTION.search(standalone)),
        name=bool(_NAME_QUESTION.search(standalone)),
        phrases=tuple(normalize(p) for p in _QUOTED.findall(standalone)),
    )
    candidates = [c for rank, hit in enumerate(result.hits) for c in _sentences(hit, rank, terms, wants)]
    if not candidates:
        return _abstention(question, standalone, result)
    across = named >= 2 or (named == 0 and _ACROSS.search(standalone) is not None)
    if across:
        # "哪些地方开展了“X”": only committees whose sentence names X belong in the list.
        quoting = [c for c in candidates if any(p in normalize(c.text) for p in wants.phrases)]
        chosen = _per_committee(quoting or candidates)
    else:
        # A question about one committee is answered from that committee's report only.
        own = [c for c in candidates if named == 1 and c.hit.chunk.report_id == result.hits[0].chunk.report_id]
        chosen = _best(own or candidates)
    return _assemble(question, standalone, chosen, labelled=across)


def _terms(question: str, names: tuple[str, ...], idf: Callable[[str], float]) -> dict[str, float]:
    """Question terms with weights: longer terms say more."""
    normalized = normalize(question)
    for name in sorted(names, key=len, reverse=True):
        normalized = normalized.replace(normalize(name), " ")
    if is_mostly_english(normalized):
        normalized += " " + " ".join(chinese_terms_for_english(normalized))
    return {
        t: min(len(t), 4) * idf(t)
        for t in tokenize(normalized)
        if (not t.isascii() or t.isdigit()) and t not in GENERIC_WORDS
    }


@dataclass(frozen=True, slots=True)
class _Wants:
    """What kind of sentence answers the question."""

    figure: bool  # "多少", "几次": a sentence with a figure (a count, not a year)
    name: bool  # "叫什么", "哪位": a sentence with a 《title》 or “name”
    phrases: tuple[str, ...]  # “quoted” in the question: a sentence holding them


def _sentences(hit: Hit, rank: int, terms: dict[str, float], wants: _Wants):
    total = sum(terms.values()) or 1.0
    for at, until in sentence_spans(hit.chunk.text):
        text = hit.chunk.text[at:until]
        if says_nothing(text, hit.chunk.headings):
            continue
        start = hit.chunk.start + at
        normalized = normalize(text)
        overlap = sum(w for t, w in terms.items() if t in normalized) / total
        score = overlap + 0.15 / (rank + 1)
        if wants.figure:
            score += 0.3 if has_figure(text) else -0.3
        if wants.name and _HAS_NAME.search(text):
            score += 0.3
        if any(p in normalized for p in wants.phrases):
            score += 0.2
        yield _Candidate(rank, start, start + len(text), text, score, hit)


def _best(candidates: list[_Candidate]) -> list[_Candidate]:
    ranked = sorted(candidates, key=lambda c: (-c.score, c.hit_rank, c.start))
    top = ranked[0]
    chosen = [top]
    for candidate in ranked[1:]:
        if len(chosen) == MAX_SENTENCES or candidate.score < 0.6 * top.score or candidate.score <= 0.2:
            break
        if not any(_overlaps(candidate, c) for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: (c.hit_rank, c.start))


def _per_committee(candidates: list[_Candidate]) -> list[_Candidate]:
    """The best sentence of each committee among the hits, committees in order of their best hit."""
    best: dict[str, _Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (-c.score, c.hit_rank, c.start)):
        best.setdefault(candidate.hit.chunk.report_id, candidate)
    chosen = sorted(best.values(), key=lambda c: c.hit_rank)[:MAX_COMMITTEES]
    return [c for c in chosen if c.score > 0.1] or chosen[:1]


def _overlaps(a: _Candidate, b: _Candidate) -> bool:
    return a.hit.chunk.doc == b.hit.chunk.doc and a.start < b.end and b.start < a.end


def _assemble(question: str, standalone: str, chosen: list[_Candidate], labelled: bool) -> Answer:
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
    return Answer(question, standalone, text, tuple(quotes), tuple(citations), abstained=False)


def _abstention(question: str, standalone: str, result: SearchResult) -> Answer:
    reason = result.reason or "没有找到足以回答的段落"
    text = f"所收录的报告中没有找到这个问题的答案（{reason}）。"
    if result.hits:
        text += "以下段落可能相关，仅供参考。"
    return Answer(question, standalone, text, (), (), abstained=True, related=result.hits[:3], reason=reason)
