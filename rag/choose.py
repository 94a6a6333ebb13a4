"""A question + its search hits -> candidate answer sentences, scored.

A sentence of a retrieved passage is a candidate; its score adds
- term coverage: the share of the question's content terms it holds, weighted by length and
  rarity (idf), where a term may be met by any of its alternatives: the reports' official words
  for an everyday phrase (rag/data/register.tsv) or the Chinese words for an English phrase;
- the rank of its passage;
- answer-type fit (rag.fit): a figure attached to the thing counted, a place, organisation,
  person, title or date when the question asks for one;
- “quoted” phrases of the question that it holds, and the kind of thing a which-question asks for;
- period fit (rag.period): its section is about the year asked, or about plans when plans are asked;
- meaning: the cosine of the question with the sentence, whose vector the index holds, so that
  "管地方史料的那个专门委员会" finds 文史委 where no word is shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from rag.fit import fits
from rag.lexicon import english_term_groups, official_wording
from rag.period import Period, period_of
from rag.question import WHICH_COMMITTEE, Asked
from rag.records import Hit
from rag.topic import BODY_AFTER_NAME
from rag.text import GENERIC_WORDS, YEAR, is_mostly_english, normalize, says_nothing, sentence_spans, tagged, tokenize

_FIT_WEIGHT = 0.35
_PHRASE_BONUS = 0.2
_HEAD_BONUS = 0.2
_HEADING_WEIGHT = 0.3
_PERIOD_BONUS, _PERIOD_PENALTY = 0.1, 0.3
_RANK_WEIGHT = 0.15
# What a sentence means counts beside the words it shares: the cosine of the question with the
# sentence (vectors from the index, rag.index.sentences), from a centre below the cosines of
# related text (e5's lie between 0.8 and 0.95), so that sentences close in meaning also rise
# towards the best one and a descriptive question gets the two or three sentences it needs
# (rag.answer takes those within a share of the best). Swept on eval/questions.jsonl with
# `rag ask --jsonl`: answer_ok 0.930 without it; weight 2-3: 0.944, 4: 0.948, 5: 0.944 (one
# English question lost); the centre taken at the pool's closest sentence instead (meaning only
# reorders): 0.922-0.933. The dev set, not used for the choice, stays at 1.000 with 4.
_SIMILARITY_WEIGHT, _SIMILARITY_CENTRE = 4.0, 0.8

_PLAN_TO = re.compile(r"\b(?:plan|plans|planned|planning|intends?|aims?) to\b", re.I)
_YEAR_TERM = re.compile(r"(?:19|20)\d\d年?")
# "一份提案", "一条信息": the amount is the asker's phrasing, and as a term it favours any
# sentence saying "传递一份温暖". A counted figure is read by rag.question, not matched here.
_ONE_OF = re.compile(r"[一两每][份条个次件项名位篇场家批点]")
Terms = list[tuple[tuple[str, ...], float, bool]]  # (alternatives, weight, the first is the asker's own word)
# A sentence that holds the asker's own word ("读书") matches closer than one holding only the
# reports' wording the register gives for it ("学习"): that counts for this share of the term.
_REWORDED_SHARE = 0.6
# jieba's tags of pronouns, prepositions, conjunctions, particles, adverbs, interjections and
# numeral-measure words ("这件").
_FUNCTION_TAGS = frozenset("r p c u uj ul uz ud ug uv y e o d mq".split())


@dataclass(frozen=True, slots=True)
class Candidate:
    hit_rank: int
    start: int  # offsets in the report file
    end: int
    text: str
    score: float
    coverage: float  # share of the question's term weight the sentence holds
    fit: float  # rag.fit: 1 holds the kind of answer asked for, below 0 does not
    in_period: bool  # about the year (or plans) asked, or no year asked
    period: Period
    hit: Hit
    similarity: float  # cosine of the question with the sentence (rag.index.sentences)


def question_terms(question: str, names: tuple[str, ...], idf: Callable[[str], float]) -> Terms:
    """The question's content terms with weights: longer and rarer terms say more."""
    normalized = WHICH_COMMITTEE.sub(" ", normalize(question))  # "哪个县政协": the answer, not a term
    for name in sorted(names, key=len, reverse=True):
        normalized = re.sub(re.escape(normalize(name)) + BODY_AFTER_NAME, " ", normalized)
    groups: list[tuple[str, ...]] = []
    reworded: set[tuple[str, ...]] = set()
    for everyday, official in official_wording(normalized):
        normalized = normalized.replace(everyday, " ")
        groups.append((everyday, *official))
        reworded.add(groups[-1])
    if is_mostly_english(normalized):
        # "Duji District CPPCC": 区 and 政协 are in every sentence of the committee's report.
        # "plans to build" says when, like "will build" (rag.period weighs it), not what: as a
        # term, 计划/谋划 would favour a report's framing sentence ("扎实谋划2025年工作").
        groups.extend(
            g for g in english_term_groups(_PLAN_TO.sub(" ", normalized))
            if any(len(t) > 1 and t not in GENERIC_WORDS and not _YEAR_TERM.fullmatch(t) for t in g)
        )
    # A year says when, not what: rag.period weighs it; as a term it would favour any sentence
    # that mentions the year ("2025年是…收官之年") over the one about the thing asked.
    grammar = _function_words(normalized)
    groups.extend(
        (t,) for t in tokenize(normalized)
        if (not t.isascii() or t.isdigit()) and t not in GENERIC_WORDS and t not in grammar
        and not _YEAR_TERM.fullmatch(t) and not _ONE_OF.fullmatch(t)
    )
    terms: dict[tuple[str, ...], float] = {}
    for group in groups:
        terms[group] = max(min(len(t), 4) * idf(t) for t in group)
    return [(group, weight, group in reworded) for group, weight in terms.items()]


def _function_words(text: str) -> set[str]:
    """The words of `text` that build the question rather than say what it is about ("跟", "各自",
    "还", "这件"): no sentence is closer to the answer for holding them, and rare as they are in
    the reports, as terms they would outweigh the words that say what is asked."""
    return {word for word, flag in tagged(text) if flag in _FUNCTION_TAGS}


def candidates(hits: tuple[Hit, ...], terms: Terms, asked: Asked) -> list[Candidate]:
    return [c for rank, hit in enumerate(hits) for c in _sentences(hit, rank, terms, asked)]


def _sentences(hit: Hit, rank: int, terms: Terms, asked: Asked):
    total = sum(w for _, w, _ in terms) or 1.0
    period = period_of(hit.chunk)
    heading = normalize(" ".join(hit.chunk.headings))
    for number, (at, until) in enumerate(sentence_spans(hit.chunk.text)):
        text = hit.chunk.text[at:until]
        if says_nothing(text, hit.chunk.headings):
            continue
        similarity = hit.similarities[number] if hit.similarities else _SIMILARITY_CENTRE
        start = hit.chunk.start + at
        normalized = normalize(text)
        coverage = sum(w * _held(group, own, normalized) for group, w, own in terms) / total
        # The section a sentence stands under says what it is about ("精心搭建“两大平台”"):
        # a term only its heading holds counts for part.
        under = sum(w for group, w, _ in terms if not any(t in normalized for t in group) and any(t in heading for t in group))
        fit = fits(text, asked)
        in_period = _in_period(normalized, period, asked)
        score = coverage + _HEADING_WEIGHT * under / total + _RANK_WEIGHT / (rank + 1) + _FIT_WEIGHT * fit
        score += _SIMILARITY_WEIGHT * (similarity - _SIMILARITY_CENTRE)
        if any(p in normalized for p in asked.phrases):
            score += _PHRASE_BONUS
        if any(h in normalized for h in asked.head):
            score += _HEAD_BONUS
        if asked.years:
            score += _PERIOD_BONUS if in_period else -_PERIOD_PENALTY
        elif asked.plan and period.plan:
            score += _PERIOD_BONUS  # "计划…" prefers the plan part, but a result may still answer it
        yield Candidate(rank, start, start + len(text), text, score, coverage, fit, in_period, period, hit, similarity)


def _held(group: tuple[str, ...], own: bool, normalized: str) -> float:
    """How far `normalized` holds a term: 1, or `_REWORDED_SHARE` for only the register's rewording of the asker's word."""
    if own and group[0] in normalized:
        return 1.0
    return (_REWORDED_SHARE if own else 1.0) if any(t in normalized for t in group) else 0.0


def _in_period(normalized: str, period: Period, asked: Asked) -> bool:
    """About the year asked: its section's year, or the year written in it."""
    if asked.years:
        return period.year in asked.years or any(int(y) in asked.years for y in YEAR.findall(normalized))
    return True
