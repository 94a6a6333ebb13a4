"""A theme ("提案", "协商议事", free text) -> its words, and whether a sentence is about it.

One definition for the 专题概览 (rag.overview) and the per-committee lines of cross-committee
answers (rag.answer). A sentence is on a theme when it holds one of the theme's terms *free*
(and, for a theme with `requires`, one of those words too: 委员履职 is about 委员). A term is
not free, and so says nothing about what the sentence reports, where it stands
1. in a phrase that means something else (`_ELSEWHERE`): the institution's name 政治协商会议;
   学习宣传/宣传贯彻 and 宣传+政策/文化/精神 (spreading documents, policies or local culture, not
   the committee's publicity); 公益宣传; 监督职责 (of the discipline inspectors); 政协履职 (the
   committee's work as a whole, not its members' duties);
2. in one item of an enumeration whose items do not all hold a term: three or more things
   ("综合运用委员视察、提案、社情民意信息等方式", "开展“提案撰写”“反映社情民意”“有事好商量协商议事”等
   专题培训9场", "实施“党建+协商”“党建+读书”“党建+服务”“党建+监督”系列工程"), or two closed by
   等, which makes them examples of something else ("在金湖县实验小学、金南镇议事室等设立5个文史
   书柜"). The words after 等 are the enumeration's head, and free ("…等专题培训9场" is about
   training). A pair without 等 ("充分发挥提案、社情民意重要渠道作用") is the sentence's subject.
A sentence is off every theme when it is a heading ("三是坚持多形式学习培训,提升履职能力。", or
a run-in heading), a fragment without a figure of fewer than `MIN_PRACTICE_CHARS` characters
("提交一件提案;"), a later item of a colon series (it ends with ； and the sentence it continues
has a colon: "即:开展一次专题调研;提交一件提案;…;至少参加一次“有事好商量”协商议事活动;" quotes only
its first item, which holds the colon and says what the series is), or cut inside a quotation
(a “ never closed: the source broke the line there, "创新探索“政协协商+"). A sentence with
figures is off a theme when none of its figures stands in a clause holding the theme's free term
and one stands in a clause holding another theme's: "為做好協商“后半篇文章”…提案辦理滿意率保持
100%" measures proposals, not consultation.
`theme_weight` also ranks the sentences on a theme (its docstring says how).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.errors import BadQuestion
from rag.text import ENUMERATOR, figure_spans, normalize, says_nothing, tokenize

MIN_PRACTICE_CHARS = 12


@dataclass(frozen=True, slots=True)
class Theme:
    """What a theme is searched with and what makes a sentence belong to it."""

    name: str  # as shown: "提案"
    query: str  # searched in each report: the name and its synonyms
    terms: tuple[str, ...]  # normalised; a sentence holding one free is on the theme, the first weighs most
    requires: tuple[str, ...] = ()  # a sentence on the theme also holds one of these


# The synonym table: retrieval gets the report vocabulary for each theme ("提案" is written
# as 立案/办结/督办/满意率 in the sentences with its figures); `terms` stay narrow, because
# they decide what is quoted.
THEMES: tuple[Theme, ...] = (
    Theme("提案", "提案 提案办理 立案 办结 督办 交办 满意率 解决率", ("提案", "立案")),
    Theme("协商议事", "协商议事 有事好商量 专题协商 协商活动 议事室 议题", ("协商", "议事", "有事好商量")),
    Theme(
        "委员履职", "委员履职 履职能力 委员培训 履职考核 述职 履职活动 委员管理 知情明政",
        ("履职", "述职", "培训", "考核", "知情明政", "联系界别"), requires=("委员",),
    ),
    Theme("社情民意", "社情民意 信息 报送 采用 转报", ("社情民意", "民意信息")),
    Theme("民主监督", "民主监督 专项监督 监督活动 民主评议 委派监督", ("监督", "评议")),
    Theme("宣传", "宣传 报道 刊登 刊载 用稿 公众号", ("宣传", "报道", "刊登", "刊载", "刊用", "用稿", "稿件", "公众号")),
    Theme("文史", "文史 文史资料 文史馆 文史书柜", ("文史",)),
)
_ALIASES = {
    "提案办理": "提案", "提案工作": "提案", "提案督办": "提案", "立案": "提案",
    "协商": "协商议事", "协商议政": "协商议事", "有事好商量": "协商议事", "议事": "协商议事",
    "履职": "委员履职", "委员管理": "委员履职", "委员培训": "委员履职",
    "民意": "社情民意", "社情民意信息": "社情民意",
    "监督": "民主监督", "民主评议": "民主监督",
    "宣传工作": "宣传", "文史资料": "文史",
}
# Words of a request around its theme: "列出所有报告中关于提案的数字". Narrower than
# rag.text.GENERIC_WORDS, whose 发言, 经验, 材料 frame a question but can name a theme ("大会发言").
REQUEST_WORDS = frozenset(
    """列出 列举 给出 找出 汇总 所有 全部 报告 报告中 各地 各个 政协 委员会 关于 有关 相关 数字 数据 数量 情况 工作 方面
    内容 做法 哪些 对比 比较 概览 专题 主题""".split()
)
_REQUEST = re.compile("|".join(sorted(REQUEST_WORDS, key=len, reverse=True)) + r"|中的|[\s?？。!！,，:：、]")

_ELSEWHERE = re.compile(r"政治协商会议|学习宣传|宣传(?:贯彻|宣讲)|公益宣传|宣传[^，,。；;、]{0,8}?(?:政策|文化|精神)|监督职责|政协履职")
_CLAUSE = re.compile(r"[^，,；;。！？!?：:]+")
_QUOTED_RUN = re.compile(r"(?:[“《][^”》“《]*[”》]、?){3,}")
_QUOTED = re.compile(r"[“《][^”》“《]*[”》]")
_COLON = re.compile(r"[：:]")
_LAST_STOP = re.compile(r"[。！？!?]")


def theme_for(text: str) -> Theme:
    """The theme a request names: a known theme or alias it contains (the earliest, then the
    longest), else its own content words ("招商引资" -> terms 招商, 引资, 招商引资).

    Raises BadQuestion when nothing is left to search for.
    """
    normalized = normalize(text or "").strip()
    known = {theme.name: theme for theme in THEMES}
    names = [(normalized.find(key), -len(key), key) for key in [*known, *_ALIASES] if key in normalized]
    if names:
        key = min(names)[2]
        return known[_ALIASES.get(key, key)]
    terms = [t for t in dict.fromkeys(tokenize(normalized)) if len(t) >= 2 and not t.isascii() and t not in REQUEST_WORDS]
    if not terms:
        raise BadQuestion("请给出一个主题，例如：提案、协商议事、委员履职、社情民意、民主监督")
    phrase = _REQUEST.sub("", normalized).strip("的之 ")
    # The phrase as written weighs most ("乡村振兴"); its words catch the sentences that split it.
    if len(phrase) >= 2 and all(t in phrase for t in terms):
        terms = [phrase, *(t for t in terms if t != phrase)]
    return Theme(name=phrase if len(phrase) >= 2 else "、".join(terms), query=" ".join(terms), terms=tuple(terms))


def free_terms(text: str, theme: Theme) -> list[str]:
    """The theme's terms that `text` (as written, any script) holds free (see the module docstring)."""
    return list(dict.fromkeys(_free_occurrences(text, theme)))


def _free_occurrences(text: str, theme: Theme) -> list[str]:
    """Each free occurrence of a theme term in `text`, in the order of `theme.terms`."""
    normalized = _ELSEWHERE.sub(lambda m: " " * len(m.group()), normalize(text))
    listed = _listed(normalized, theme)
    found = []
    for term in theme.terms:
        at = normalized.find(term)
        while at >= 0:
            if not any(start <= at < end for start, end in listed):
                found.append(term)
            at = normalized.find(term, at + len(term))
    return found


def is_heading(text: str, headings: tuple[str, ...] = ()) -> bool:
    """A heading written as a sentence ("三是…。", a run-in heading), a sentence too short to quote, or
    one cut inside a quotation."""
    return says_nothing(text, headings) or ENUMERATOR.fullmatch(text.strip()) is not None or text.count("“") > text.count("”")


def is_series_item(text: str, before: str) -> bool:
    """A later item of a colon series: `text` ends with ； and `before` (the paragraph up to it) has a
    colon since its last full stop."""
    return text.rstrip().endswith(("；", ";")) and _COLON.search(_LAST_STOP.split(before)[-1]) is not None


def theme_weight(text: str, theme: Theme, headings: tuple[str, ...] = (), before: str = "") -> float:
    """How much a sentence is about the theme: 0 when it is not (module docstring), else 1, plus
    1 when a figure stands in a clause with a free term (it measures the theme), 0.5 when the
    theme's first term is free, 0.5 when a heading above it names the theme (the report files it
    there), 0.25 for each further free occurrence of a term, up to four (the more often a sentence
    names the theme, the more it is about it: "微型协商、现场协商、点上协商等…“一线协商”活动").
    `before` is the text of its paragraph before it, as far as known."""
    if is_heading(text, headings) or is_series_item(text, before):
        return 0.0
    if len(text.strip()) < MIN_PRACTICE_CHARS and not figure_spans(text):
        return 0.0
    occurrences = _free_occurrences(text, theme)
    present = list(dict.fromkeys(occurrences))
    normalized = normalize(text)
    if not present or (theme.requires and not any(word in normalized for word in theme.requires)):
        return 0.0
    owned, elsewhere = _figure_owners(text, theme)
    if elsewhere and not owned:
        return 0.0
    first = theme.terms[0] in present
    filed = any(free_terms(heading, theme) for heading in headings)
    return 1.0 + owned + 0.5 * first + 0.5 * filed + 0.25 * min(len(occurrences) - 1, 4)


def _figure_owners(text: str, theme: Theme) -> tuple[bool, bool]:
    """(a figure stands in a clause holding the theme's free term, one stands in a clause holding another theme's)."""
    owned = elsewhere = False
    others = [other for other in THEMES if other.name != theme.name]
    for match in _CLAUSE.finditer(text):
        if not figure_spans(match.group()):
            continue
        if free_terms(match.group(), theme):
            owned = True
        elif any(free_terms(match.group(), other) for other in others):
            elsewhere = True
    return owned, elsewhere


def _listed(normalized: str, theme: Theme) -> list[tuple[int, int]]:
    """Spans of the enumeration items (three or more, or two closed by 等) in which the theme's terms stand as
    one thing among others."""
    items: list[list[tuple[int, int]]] = []
    for run in _QUOTED_RUN.finditer(normalized):
        items.append([(m.start() + run.start(), m.end() + run.start()) for m in _QUOTED.finditer(run.group())])
    for clause in _CLAUSE.finditer(normalized):
        body = clause.group()
        last = body.rfind("、")
        head = body.find("等", last) if last >= 0 else -1
        if body.count("、") < (1 if head >= 0 else 2):
            continue
        region = body[: head if head >= 0 else len(body)]
        pieces = region.split("、")
        # The first piece also holds what leads into the list ("第三民主监督小组通过实地调研"): its
        # item is taken as long as the longest other item, and the lead stays free.
        width = max(len(piece) for piece in pieces[1:])
        at = clause.start() + len(pieces[0])
        spans = [(at - min(width, len(pieces[0])), at)]
        for piece in pieces[1:]:
            spans.append((at + 1, at + 1 + len(piece)))
            at += len(piece) + 1
        items.append(spans)
    listed = []
    for spans in items:
        holding = [any(term in normalized[s:e] for term in theme.terms) for s, e in spans]
        if not all(holding):
            listed.extend(span for span, holds in zip(spans, holding) if holds)
    return listed
