"""question + SearchResult -> Answer: verbatim sentences of the retrieved passages, each cited, or an honest "not in the reports".

The default answerer is extractive, so a figure can never be altered: every sentence of
an answer is an exact slice of a cited passage (`Quote.start/end` index the report file).
- Candidate sentences are scored by rag.choose (term coverage with the reports' own wording,
  answer-type fit, period fit, passage rank); a question gets at most three, shown in citation
  order, each followed by its [n] marker.
- A question across committees ("各地…", "分别…", or naming several) gets one line per
  committee (`_lines`): its best sentence about the thing asked, labelled with the committee
  (and "（2025年计划）" when it comes from a plan), or "××政协：报告未提及满意率。" when its
  report has none. With `scope` (each committee in scope searched in its own reports,
  `committee_hits`) every committee gets its line; without, only those among the hits that answer.
  What "about the thing asked" means is decided once, in `_gate`: the thing is the question's
  topic (`_topic`: "各地政协[提案办理满意率]分别是多少"); a sentence must be on its theme by the
  rules of rag.theme (not one item of a list of other things, no figure measuring another theme),
  where a topic narrower than its theme keeps only the theme's terms it names (民主评议: 评议, not
  any 监督), hold every rate it asks (满意率), and for a figure question hold a figure of the right
  kind (rag.fit); a sentence that merely shares words never stands in a line.
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
from dataclasses import replace
from typing import Callable

from rag.choose import Candidate, candidates, question_terms
from rag.errors import BadQuestion
from rag.fit import LOOSE, UNCLEAR
from rag.question import Asked, read_question, same_count
from rag.records import Answer, Citation, Hit, Quote, SearchFilter, SearchResult
from rag.text import GENERIC_WORDS, figure_spans, normalize, segmenter
from rag.theme import REQUEST_WORDS, THEMES, Theme, theme_for, theme_weight

DIRECT = "直接回答"
RELATED = "相关内容，未直接回答"
NOT_FOUND = "报告未提及"
MAX_SENTENCES = 3
MAX_COMMITTEES = 12  # a cross-committee question over more committees than this gets lines from the joint hits only
_SCOPE_DEPTH = 8  # passages searched in each committee's reports for its line
_ACROSS = re.compile(r"各地|各个|各县|各市|各区|各家|哪些地方|哪些政协|哪几个|分别|对比|比较|各政协|都有|都在|each|every|which committees", re.I)
# The least share of a question's term weight the chosen sentence must hold to count as an
# answer. Swept on eval/questions.jsonl (186 questions) with `rag ask --jsonl`: 0 declined 82%
# of the unanswerable ones, 0.05 97% with 0.7% answerable declined, 0.08 100% with 3.3%; the
# type gates in `_verdict` do most of the work, so a low floor only stops sentences sharing
# (almost) nothing with the question. The dev set (not used for the choice) gives 100/100/0.
MIN_COVERAGE = 0.05
_CONFIDENCE_SLOPE = 8.0
# A committee's line on a topic in the asker's own words holds at least this share of the best line's coverage.
_LINE_SHARE = 0.5
_TYPED = ("place", "organisation", "person", "title", "date", "ordinal", "figures")
_KIND_WORDS = {
    "number": "数字", "figures": "数字", "ordinal": "届次或期数", "place": "地点", "organisation": "单位名称",
    "person": "人名", "title": "名称", "date": "时间",
}
_SCOPE_WORDS = re.compile(
    r"^(?:请问|请)?(?:各地|各个|各县|各市|各区|各家|各|所有|哪些|哪几个|[两三四五六几]地|这些|上述)?(?:地方)?的?(?:政协|委员会)?的?"
    r"(?:(?:工作)?报告|综述|总结|材料)?(?:里|中)?都?(?:提到|提及|写到|说到|讲到|谈到)?了?"  # "哪些政协的报告里提到了X": X is asked
)
_TOPIC_END = re.compile(r"分别|都|是多少|有多少|是什么|有什么|有哪些|怎么|怎样|如何|多少|几[个件次名位项家篇条批场人]|哪些|哪几|[？?。，,!！]")
_RATE = re.compile(r"[\u4e00-\u9fff]{2}率")
_WHICH_NOUN = re.compile(r"(?:哪些|哪几[个项类种]?|什么)([\u4e00-\u9fff]{2,})")
# The kind of answer a which-question wants, not its topic: "哪些[活动]", "什么[新做法]".
_VAGUE_KINDS = re.compile(r"新?(?:活动|工作|做法|举措|措施|事情|内容|方面|项目|成果|成绩|亮点|特色|经验|事)|[？?。，,!！]")
_COUNTED = re.compile(r"(?:多少|几)(.*)$")
_ASIDE = re.compile(r"[(（][^)）]*[)）]")  # "（或计划开展）"
_NUMERAL = re.compile(r"^[\d.,，\s一二三四五六七八九十百千万亿两余多]+")
_MEASURE = {"场": "场次", "名": "人数", "位": "人数", "人": "人数", "人次": "人次"}
_YEAR_WORD = re.compile(r"(?:19|20)\d\d年?度?")
# Words around a cross-committee question's topic that are not the topic: tense, plans, particles.
_FILLER = frozenset(
    "了 的 之 在 有 是 要 将 计划 打算 安排 准备 将要 今后 明年 各自 分别 都 又 还 次 场 场次 件 个 名 位 篇 项 家 条 批 人 人次 期 "
    "为 对 关于 方面 做 干 搞 做了 干了 搞了".split()
)


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
    asked = read_question(_SCOPE_WORDS.sub("", standalone.strip()) if across else standalone)
    # "各地…": the scope is no term; as one it favours any sentence saying 各地.
    terms = question_terms(_SCOPE_WORDS.sub("", standalone.strip()) if across else standalone, names, idf)
    pool = candidates(result.hits, terms, asked)
    if not pool:
        return _abstention(question, standalone, result, NOT_FOUND, "没有找到足以回答的段落")
    if across:
        topic = _topic(standalone, asked, names)
        if scope:
            per = {short: candidates(hits, terms, asked) for short, hits in scope.items()}
            return _lines(question, standalone, result, per, asked, topic, complete=True)
        per = {}
        for candidate in sorted(pool, key=lambda c: c.hit_rank):
            per.setdefault(candidate.hit.chunk.short_name, []).append(candidate)
        return _lines(question, standalone, result, per, asked, topic, complete=False)
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


def asks_across(question: str, named: int) -> bool:
    """Whether `question` wants one line per committee: it names two or more, or none and says 各地/分别/…"""
    return named >= 2 or (named == 0 and _ACROSS.search(question) is not None)


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
    topic: str, complete: bool,
) -> Answer:
    """One line per committee: its best sentence about `topic` (`_gate`; a result before a plan
    unless plans are asked, when rag.choose's period bonus weighs in), or, when `complete`,
    "报告未提及…" for a committee with none. A topic that is no known theme is the asker's own
    wording: the sentence rules alone decide, and a committee's line must hold the asker's words
    about as well as the best line does (`_LINE_SHARE` of its coverage; unless it quotes a
    phrase, which every line then holds); a line sharing only
    words such as 组织、活动 with the question is filler, and that committee has none."""
    known = _known_theme(topic)
    gate = _gate(topic, themed=known)
    best = {short: min(fitting, key=lambda c: (c.period.plan and not asked.plan, -c.score, c.hit_rank, c.start))
            for short, pool in per.items() if (fitting := [c for c in pool if gate(c, asked)])}
    if best and not known and not asked.phrases:  # a quoted phrase is the topic, and each line holds it
        floor = _LINE_SHARE * max(c.coverage for c in best.values())
        best = {short: c for short, c in best.items() if c.coverage >= floor}
    chosen = list(best.values())
    missing = [short for short in per if short not in best] if complete else []
    if not chosen:
        return _abstention(question, standalone, result, RELATED, f"各报告中没有关于{topic}的内容")
    what = _missing_what(topic, asked)
    gaps = tuple(f"{short}：报告未提及{what}。" for short in missing)
    confidence = max(_confidence(c, asked) for c in chosen)
    return _assemble(question, standalone, result, chosen[:MAX_COMMITTEES], labelled=True, confidence=confidence, gaps=gaps)


def _counts_in(text: str, word: str) -> bool:
    """Whether a figure of `text` is written with counting word `word`, or one counting the same things."""
    folded = normalize(text)
    units = (_NUMERAL.sub("", folded[start:end]) for start, end in figure_spans(folded))
    return any(unit and same_count(word, unit) for unit in units)


def _missing_what(topic: str, asked: Asked) -> str:
    """What a committee's report does not give: 满意率, 社情民意信息的篇数, 所问的地点, 协商方面的计划."""
    if asked.phrases:
        return "、".join(f"“{phrase}”" for phrase in asked.phrases)
    if asked.kind in _TYPED and asked.kind != "figures":
        return f"所问的{_KIND_WORDS[asked.kind]}"
    if asked.kind == "number" and not _RATE.search(topic):
        word = asked.counting_word
        return f"{topic}的{_MEASURE.get(word, word + '数') if word else '数字'}"
    return f"{topic}方面的计划" if asked.plan else topic


def _topic(standalone: str, asked: Asked, names: tuple[str, ...]) -> str:
    """What a cross-committee question asks about each committee: the rates it names ("满意率"), else
    the content words around its question word ("各地政协[社情民意信息]分别报送了多少篇", "2025年
    分别计划怎么开展[协商]"), else the nouns it counts ("分别开展了多少次[协商活动]")."""
    text = _ASIDE.sub(" ", _YEAR_WORD.sub(" ", normalize(standalone)))
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(normalize(name), " ")
    rates = list(dict.fromkeys(_RATE.findall(text)))
    if rates:
        return "、".join(rates)
    text = _SCOPE_WORDS.sub("", text.strip().lstrip("和与及、 ").strip())
    pieces = _TOPIC_END.split(text)
    counted = _COUNTED.search(text)
    if asked.kind == "number" and counted:  # "多少件[集体提案]": what is counted comes first
        pieces.insert(0, _TOPIC_END.split(counted.group(1))[0])
    elif (which := _WHICH_NOUN.search(text)) and _VAGUE_KINDS.sub("", which.group(1)) not in ("", *_FILLER):
        pieces.insert(0, _TOPIC_END.split(which.group(1))[0])  # "组织了哪些[读书活动]", not "哪些[活动]"
    for piece in pieces:
        words = [w for w in segmenter().lcut(piece.strip()) if w.strip()]
        while words and (words[0] in _FILLER or words[0] in GENERIC_WORDS):
            words.pop(0)
        while words and (words[-1] in _FILLER or words[-1] in GENERIC_WORDS):
            words.pop()
        topic = "".join(words)
        for word in sorted(GENERIC_WORDS | _FILLER, key=len, reverse=True):  # "开展调研" as one jieba word
            if topic.startswith(word) and len(topic) >= len(word) + 2:
                topic = topic[len(word) :]
        if any(len(w) >= 2 and w not in REQUEST_WORDS for w in words):
            return topic
    return "".join(asked.counted) or "所问的内容"


def _known_theme(topic: str) -> bool:
    try:
        return theme_for(topic) in THEMES
    except BadQuestion:
        return False


def _gate(topic: str, themed: bool = True) -> Callable[[Candidate, Asked], bool]:
    """Whether a candidate is about `topic` (module docstring): on its theme (unless not `themed`), holding its rates."""
    rates = _RATE.findall(topic)
    try:
        theme: Theme | None = theme_for(topic) if themed else None
    except BadQuestion:
        theme = None
    if theme is not None and theme in THEMES and topic != theme.name:
        named = tuple(term for term in theme.terms if term in normalize(topic))
        theme = replace(theme, terms=named or theme.terms)

    def gate(candidate: Candidate, asked: Asked) -> bool:
        text = normalize(candidate.text)
        if candidate.coverage < MIN_COVERAGE or (asked.years and not candidate.in_period):
            return False
        if any(rate not in text for rate in rates) or any(phrase not in text for phrase in asked.phrases):
            return False  # "哪些地方开展了“X”": only a sentence naming X
        if asked.kind in ("number", *_TYPED) and candidate.fit < LOOSE:
            return False
        if asked.kind == "number" and asked.counting_word and not _counts_in(candidate.text, asked.counting_word):
            return False  # "多少件提案": 满意率100% is no count of 件
        chunk = candidate.hit.chunk
        before = chunk.text[: max(candidate.start - chunk.start, 0)]
        if theme is None or asked.phrases or (asked.kind in _TYPED and asked.kind != "figures"):
            return True  # a quoted name is what is asked; a place or a title is judged by its kind (rag.fit)
        return theme_weight(candidate.text, theme, chunk.headings, before) > 0

    return gate


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
        text = "\n".join([*(f"{q.label}：{q.text}[{q.citation}]" for q in quotes), *gaps])
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
