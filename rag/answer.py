"""question + SearchResult -> Answer: verbatim sentences of the retrieved passages, each cited, or an honest "not in the reports".

The default answerer is extractive, so a figure can never be altered: every sentence of
an answer is an exact slice of a cited passage (`Quote.start/end` index the report file).
- Candidate sentences are scored by rag.choose (term coverage with the reports' own wording,
  answer-type fit, period fit, passage rank); a question gets at most three, shown in citation
  order, each followed by its [n] marker.
- A question across committees ("各地…", "分别…", or naming several) gets one line per
  committee (`_lines`): its best sentence about the thing asked, and a second one scoring nearly
  as well (as a single answer takes more than one), labelled with the committee (and
  "（2025年计划）" when it comes from a plan), or "××政协：报告未提及满意率。" when its
  report has none. With `scope` (each committee in scope searched in its own reports,
  `committee_hits`) every committee gets its line; without, only those among the hits that answer.
  What "about the thing asked" means is decided once, in `_gate`: the thing is the question's
  topic (rag.topic: "各地政协[提案办理满意率]分别是多少"); a sentence must be on its theme by the
  rules of rag.theme (not one item of a list of other things, no figure measuring another theme),
  where a topic narrower than its theme keeps only the theme's terms it names (民主评议: 评议, not
  any 监督), hold every rate it asks (满意率), and for a figure question hold a figure of the right
  kind (rag.fit); a sentence that merely shares words never stands in a line. A topic in the
  asker's own words (no known theme) is judged by the sentence rules alone, and a committee's
  line must hold it about as well as the best line does.
- Whether the best sentence answers is decided, not assumed (`_verdict`): a figure question
  needs a figure attached to the thing asked, a place/organisation/person question a sentence
  naming one, a question about a year a passage about that year, and every question enough of
  its terms. Otherwise the answer is RELATED: "the reports do not say", with the closest
  sentences and passages shown as related, never as the answer. NOT_FOUND when retrieval
  itself abstained (no report of the committee asked about, key terms absent).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

from rag.choose import Candidate, candidates, question_terms
from rag.errors import BadQuestion
from rag.fit import LOOSE, UNCLEAR
from rag.question import Asked, read_question
from rag.records import Answer, Citation, Hit, Quote, SearchFilter, SearchResult
from rag.topic import KIND_WORDS, RATE, SCOPE_WORDS, TYPED, asks_across, counts_in, known_theme, missing_what, owners, topic_of
from rag.text import normalize, sentence_spans
from rag.theme import THEMES, Theme, theme_for, theme_weight

DIRECT = "直接回答"
RELATED = "相关内容，未直接回答"
NOT_FOUND = "报告未提及"
MAX_SENTENCES = 3
MAX_COMMITTEES = 12  # a cross-committee question over more committees than this gets lines from the joint hits only
_SCOPE_DEPTH = 8  # passages searched in each committee's reports for its line
# The least share of a question's term weight the chosen sentence must hold to count as an
# answer. Swept on eval/questions.jsonl (186 questions) with `rag ask --jsonl`: 0 declined 82%
# of the unanswerable ones, 0.05 97% with 0.7% answerable declined, 0.08 100% with 3.3%; the
# type gates in `_verdict` do most of the work, so a low floor only stops sentences sharing
# (almost) nothing with the question. The dev set (not used for the choice) gives 100/100/0.
MIN_COVERAGE = 0.05
_CONFIDENCE_SLOPE = 8.0
# A committee's line on a topic in the asker's own words holds at least this share of the best line's coverage.
_LINE_SHARE = 0.5
# An answer takes another sentence scoring at least this share of the best one.
_BEST_SHARE = 0.6
# ... or, for a committee the question names, this share. Measured on eval/questions.jsonl: of the
# lines the 0.5 rule dropped, those of named committees held the evidence (shares 0.22-0.44) and
# those of "哪些/各地" questions did not (0.06-0.31).
_NAMED_LINE_SHARE = 0.2
# A committee's line takes a second sentence scoring at least this share of its best one.
_SECOND_SHARE = 0.6


def answer(
    question: str,
    result: SearchResult,
    standalone: str | None = None,
    named: int = 0,
    names: tuple[str, ...] = (),
    idf: Callable[[str], float] = lambda term: 1.0,
    scope: dict[str, tuple[Hit, ...]] | None = None,
) -> Answer:
    """Build the extractive answer to `question` from `result` (the search for `standalone`).

    `named` is how many committees the question names; two or more asks for a per-committee
    answer. `names` are committee names to leave out of sentence matching: every sentence of
    the committee's report "matches" them. `idf(term)` weighs rare terms up ("经科委" says
    more about a sentence than "特色"). `scope` (`committee_hits`) gives a cross-committee
    question every committee it covers, each with the hits of its own reports.
    """
    standalone = standalone or question
    if result.abstain or not result.hits:
        return _abstention(question, standalone, result, NOT_FOUND, result.reason)
    across = asks_across(standalone, named)
    # "哪些地方政协…" names the scope, not a place asked for.
    asked = read_question(SCOPE_WORDS.sub("", standalone.strip()) if across else standalone)
    # "各地…": the scope is no term; as one it favours any sentence saying 各地.
    terms = question_terms(SCOPE_WORDS.sub("", standalone.strip()) if across else standalone, names, idf)
    pool = candidates(result.hits, terms, asked)
    if not pool:
        return _abstention(question, standalone, result, NOT_FOUND, "没有找到足以回答的段落")
    if across:
        topic = topic_of(standalone, asked, names)
        if scope:
            per = {short: candidates(hits, terms, asked) for short, hits in scope.items()}
            items = (*asked.phrases, *(str(year) for year in asked.years))
            owned = owners(standalone, items, list(scope)) if named >= 2 else {}
            return _lines(question, standalone, result, per, asked, topic, complete=True, named=named >= 2, owners=owned)
        per = {}
        for candidate in sorted(pool, key=lambda c: c.hit_rank):
            per.setdefault(candidate.hit.chunk.short_name, []).append(candidate)
        return _lines(question, standalone, result, per, asked, topic, complete=False)
    # A question about one committee is answered from that committee's report only.
    own = [c for c in pool if named == 1 and c.hit.chunk.report_id == result.hits[0].chunk.report_id]
    pool = _about_what_is_named(own or pool, asked)
    if not pool:
        missing = "、".join(asked.days) or "、".join(f"“{p}”" for p in asked.phrases) + "的数字"
        return _abstention(question, standalone, result, RELATED, f"报告中没有关于{missing}的内容")
    chosen = _best(pool, asked)
    # A sentence sharing (almost) nothing with the question is no answer on its own, however
    # close its meaning seems: the verdict is on the best chosen one that holds enough of it.
    best = max([c for c in chosen if c.coverage >= MIN_COVERAGE] or chosen, key=lambda c: c.score)
    problem = _verdict(pool, best, asked)
    confidence = _confidence(best, asked)
    if problem:
        return _abstention(question, standalone, result, RELATED, problem, confidence)
    return _assemble(question, standalone, result, chosen, labelled=False, confidence=confidence)


def committee_hits(retriever, question: str, report_ids=(), where: SearchFilter | None = None) -> dict[str, tuple[Hit, ...]]:
    """The committees a cross-committee question covers, each searched in its own reports:
    those named (`report_ids`, in that order), else every committee `where` admits, in corpus
    order. {} when they are more than MAX_COMMITTEES (the joint hits answer then)."""
    groups: dict[str, list[str]] = {}
    ordered = list(report_ids) or list(retriever.reports)
    for rid in ordered:
        meta = retriever.reports[rid]
        if where is None or where.is_empty() or where.admits(rid, meta):
            groups.setdefault(meta.short_name, []).append(rid)
    if len(groups) > MAX_COMMITTEES:
        return {}
    return {
        short: retriever.search(question, top_k=_SCOPE_DEPTH, where=SearchFilter(report_ids=frozenset(rids))).hits
        for short, rids in groups.items()
    }


def _lines(
    question: str, standalone: str, result: SearchResult, per: dict[str, list[Candidate]], asked: Asked,
    topic: str, complete: bool, named: bool = False, owners: dict[str, str] | None = None,
) -> Answer:
    """One line per committee: its best sentence about `topic` (`_gate`; a result before a plan
    unless plans are asked, when rag.choose's period bonus weighs in), or, when `complete`,
    "报告未提及…" for a committee with none. A topic that is no known theme is the asker's own
    wording: the sentence rules alone decide, and a committee's line must hold the asker's words
    about as well as the best line does (`_LINE_SHARE` of its coverage; unless it quotes a
    phrase, which every line then holds); a line sharing only
    words such as 组织、活动 with the question is filler, and that committee has none. A committee
    the question names (`named`) whose report has no sentence on a known theme's rules may have
    one holding the asker's words as well as the best line does."""
    known = known_theme(topic)
    best = _best_lines(per, asked, _gate(topic, themed=known, owners=owners))
    if not best and known:
        # The topic shares a theme's word ("…创造履职条件": 履职) but no sentence is on that theme
        # by its rules: it is the asker's own wording, judged as such, rather than declined.
        known = False
        best = _best_lines(per, asked, _gate(topic, themed=False, owners=owners))
    if best and not known and not asked.phrases:  # a quoted phrase is the topic, and each line holds it
        # A committee the question names is expected to have something, often in other words.
        floor = (_NAMED_LINE_SHARE if named else _LINE_SHARE) * max(line[0].coverage for line in best.values())
        best = {short: line for short, line in best.items() if line[0].coverage >= floor}
    if best and known and named:
        # Committees the asker named are expected to say something: one whose report names the
        # theme only among other things (the rule above) still gets the sentence that holds the
        # asker's words as well as the best line does, rather than "未提及".
        loose, floor = _gate(topic, themed=False, owners=owners), max(line[0].coverage for line in best.values())
        for short, pool in per.items():
            fitting = [c for c in pool if short not in best and loose(c, asked) and c.coverage >= floor]
            if fitting:
                best[short] = _line(fitting, asked)
    chosen = [candidate for line in best.values() for candidate in line]
    missing = [short for short in per if short not in best] if complete else []
    if not chosen:
        return _abstention(question, standalone, result, RELATED, f"各报告中没有关于{topic}的内容")
    what = missing_what(topic, asked)
    gaps = tuple(f"{short}：报告未提及{what}。" for short in missing)
    confidence = max(_confidence(c, asked) for c in chosen)
    return _assemble(question, standalone, result, chosen[:MAX_COMMITTEES], labelled=True, confidence=confidence, gaps=gaps)


def _best_lines(per: dict[str, list[Candidate]], asked: Asked, gate) -> dict[str, list[Candidate]]:
    return {short: _line(fitting, asked) for short, pool in per.items() if (fitting := [c for c in pool if gate(c, asked)])}


def _line(fitting: list[Candidate], asked: Asked) -> list[Candidate]:
    """A committee's sentences for its line: the best (a result before a plan unless plans are
    asked), and a second of the same standing when it scores nearly as well ("分别有哪些项目":
    a report often gives two), in report order."""
    ranked = sorted(fitting, key=lambda c: (c.period.plan and not asked.plan, -c.score, c.hit_rank, c.start))
    line = ranked[:1]
    for candidate in ranked[1:]:
        same_standing = candidate.period.plan == line[0].period.plan
        if same_standing and candidate.score >= _SECOND_SHARE * line[0].score and not _overlaps(candidate, line[0]):
            line.append(candidate)
            break
    return sorted(line, key=lambda c: (c.hit.chunk.doc, c.start))


def _gate(topic: str, themed: bool = True, owners: dict[str, str] | None = None) -> Callable[[Candidate, Asked], bool]:
    """Whether a candidate is about `topic` (module docstring): on its theme (unless not `themed`),
    holding its rates, and the quoted phrases and years the question gives its committee (`owners`:
    rag.topic.owners)."""
    owners = owners or {}
    rates = RATE.findall(topic)
    try:
        theme: Theme | None = theme_for(topic) if themed else None
    except BadQuestion:
        theme = None
    if theme is not None and theme in THEMES and topic != theme.name:
        named = tuple(term for term in theme.terms if term in normalize(topic))
        theme = replace(theme, terms=named or theme.terms)

    def gate(candidate: Candidate, asked: Asked) -> bool:
        text = normalize(candidate.text)
        short = candidate.hit.chunk.short_name
        years = [y for y in asked.years if owners.get(str(y), short) == short]  # "姜堰区政协2025年": its own year
        in_period = candidate.in_period if len(years) == len(asked.years) else candidate.period.year in years
        if candidate.coverage < MIN_COVERAGE or (years and not in_period):  # a committee without a year of its own: any
            return False
        own = [p for p in asked.phrases if owners.get(p, short) == short]
        if any(rate not in text for rate in rates) or any(phrase not in text for phrase in own):
            return False  # "哪些地方开展了“X”": only a sentence naming X
        if asked.kind in ("number", *TYPED) and candidate.fit < LOOSE:
            return False
        if asked.kind == "number" and asked.counting_word and not counts_in(candidate.text, asked.counting_word):
            return False  # "多少件提案": 满意率100% is no count of 件
        chunk = candidate.hit.chunk
        before = chunk.text[: max(candidate.start - chunk.start, 0)]
        if theme is None or asked.phrases or (asked.kind in TYPED and asked.kind != "figures"):
            return True  # a quoted name is what is asked; a place or a title is judged by its kind (rag.fit)
        return theme_weight(candidate.text, theme, chunk.headings, before) > 0

    return gate


def _about_what_is_named(pool: list[Candidate], asked: Asked) -> list[Candidate]:
    """The candidates about the day a question names ("8月18日"), and for a figure question about a
    “quoted” activity those saying it (in the sentence or the one before): "“X”活动解决了多少个
    问题" is not answered by a figure of the next activity. Nothing is left when the reports do not
    say; with no sentence naming the quoted thing at all, its wording may differ, and all stay."""
    if asked.days:
        pool = [c for c in pool if all(day in normalize(c.hit.chunk.text) for day in asked.days)]
    if asked.kind == "number" and asked.phrases:
        named = [c for c in pool if any(p in _with_sentence_before(c) for p in asked.phrases)]
        pool = named if named or not any(p in normalize(c.hit.chunk.text) for c in pool for p in asked.phrases) else []
    return pool


def _with_sentence_before(candidate: Candidate) -> str:
    chunk = candidate.hit.chunk
    at = candidate.start - chunk.start
    before = [start for start, end in sentence_spans(chunk.text) if end <= at]
    return normalize(chunk.text[before[-1] if before else at : candidate.end - chunk.start])


def _verdict(pool: list[Candidate], best: Candidate, asked: Asked) -> str:
    """Why the best sentence does not answer the question, or "" when it does."""
    kind = KIND_WORDS.get(asked.kind, "")
    if asked.years and not any(c.in_period for c in pool):
        years = "、".join(str(y) for y in asked.years)
        return f"报告中没有关于{years}年的相关内容"
    if asked.kind == "number" and not any(c.fit >= UNCLEAR and c.in_period for c in pool):
        return "报告中没有与所问对象对应的数字"
    if asked.kind in TYPED and not any(c.fit >= LOOSE for c in pool):
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


def _best(pool: list[Candidate], asked: Asked) -> list[Candidate]:
    """The best sentence and up to two more scoring nearly as well. A figure question takes another
    sentence only when it holds as much of the question as the best: "提案立案多少件" shows
    "报送集体提案5件" beside "提案立案159件" only if it also said 立案 (a second figure is
    shown when the reports leave it open which one is asked, never as filler)."""
    ranked = sorted(pool, key=lambda c: (-c.score, c.hit_rank, c.start))
    top = ranked[0]
    chosen = [top]
    for candidate in ranked[1:]:
        if len(chosen) == MAX_SENTENCES or candidate.score < _BEST_SHARE * top.score or candidate.score <= 0.2:
            break
        if asked.kind == "number" and candidate.coverage < top.coverage:
            continue
        if not any(_overlaps(candidate, c) for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: (c.hit_rank, c.start))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.hit.chunk.doc == b.hit.chunk.doc and a.start < b.end and b.start < a.end


def _assemble(
    question: str, standalone: str, result: SearchResult, chosen: list[Candidate], labelled: bool, confidence: float,
    gaps: tuple[str, ...] = (),
) -> Answer:
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    quotes: list[Quote] = []
    for candidate in chosen:
        chunk = candidate.hit.chunk
        if chunk.chunk_id not in numbers:
            numbers[chunk.chunk_id] = len(numbers) + 1
            citations.append(Citation(numbers[chunk.chunk_id], chunk, candidate.hit.score))
        label = ""
        if labelled:
            label = chunk.short_name + (f"（{candidate.period.label}）" if candidate.period.plan else "")
        quotes.append(Quote(candidate.text, candidate.start, candidate.end, numbers[chunk.chunk_id], label))
    if labelled:
        lines: dict[str, str] = {}
        for q in quotes:  # a committee's two sentences stand on its one line
            lines[q.label] = (lines[q.label] if q.label in lines else f"{q.label}：") + f"{q.text}[{q.citation}]"
        text = "\n".join([*lines.values(), *gaps])
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
