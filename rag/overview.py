"""A theme ("提案", "协商议事", free text) -> a table across all reports, the figures on it, or two committees side by side.

Decisions:
- One row per committee, and each report is searched on its own (`Retriever.search` with
  `SearchFilter(report_ids=…)`): a short report, or one that says the theme less often,
  is never crowded out of the table by a long one that dominates a joint ranking.
- Retrieval ranks, words decide: a sentence belongs to the theme only when it holds one of
  the theme's terms (in the matching view, so the Traditional report 004 matches too).
  Free text that names no known theme uses its own content words as terms.
- Every cell quotes whole sentences (`rag.excerpts`), exact slices of the report with
  offsets; nothing is summarised, so a figure is never rephrased or computed.
- "关键数字": sentences holding a figure (`rag.text.has_figure`), at most three; "主要做法": the
  other sentences on the theme, at most two. Both are shown in reading order.
- The figure finder reads every sentence of every report, not just the best hits: it
  promises all the figures on the theme, grouped by committee.
- A committee without a sentence on the theme keeps its row, saying nothing was found:
  an empty cell is information too ("杜集区's plan gives no proposal figures").
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from rag.errors import BadQuestion
from rag.excerpts import ExcerptSource
from rag.records import Excerpt, ReportMeta, SearchFilter
from rag.retrieve import Retriever
from rag.text import has_figure, normalize, says_nothing, tokenize

MAX_FIGURES = 3
MAX_PRACTICES = 2
_DEPTH = 12  # passages searched per report; the reports here have 16-32
_RANK_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class Theme:
    """What a theme is searched with and what makes a sentence belong to it."""

    name: str  # as shown: "提案"
    query: str  # searched in each report: the name and its synonyms
    terms: tuple[str, ...]  # normalised; a sentence holding one is on the theme, the first weighs most


# The synonym table: retrieval gets the report vocabulary for each theme ("提案" is written
# as 立案/办结/督办/满意率 in the sentences with its figures); `terms` stay narrow, because
# they decide what is quoted.
THEMES: tuple[Theme, ...] = (
    Theme("提案", "提案 提案办理 立案 办结 督办 交办 满意率 解决率", ("提案", "立案")),
    Theme("协商议事", "协商议事 有事好商量 专题协商 协商活动 议事室 议题", ("协商", "议事", "有事好商量")),
    Theme("委员履职", "委员履职 履职能力 委员培训 履职考核 述职 履职活动", ("履职", "述职", "培训")),
    Theme("社情民意", "社情民意 信息 报送 采用 转报", ("社情民意", "民意信息")),
    Theme("民主监督", "民主监督 专项监督 监督活动 民主评议 委派监督", ("监督", "评议")),
    Theme("宣传", "宣传 报道 刊登 刊载 用稿 公众号", ("宣传", "报道", "刊登", "刊载", "用稿")),
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
_REQUEST_WORDS = frozenset(
    """列出 列举 给出 找出 汇总 所有 全部 报告 报告中 各地 各个 政协 委员会 关于 有关 相关 数字 数据 数量 情况 工作 方面
    内容 做法 哪些 对比 比较 概览 专题 主题""".split()
)
_REQUEST = re.compile("|".join(sorted(_REQUEST_WORDS, key=len, reverse=True)) + r"|中的|[\s?？。!！,，:：、]")

# The institution's own name says 协商 without being about consultation.
_INSTITUTION = re.compile(r"政治协商会议")


# "列出所有报告中关于提案的数字", "汇总各地社情民意的数据": a request for the figure finder, not a question.
_FIGURE_REQUEST = re.compile(r"^(?:请)?(?:列出|列举|汇总|找出|给出|整理)[^。？?]*(?:数字|数据)")


def is_figure_request(text: str) -> bool:
    """True when a chat message asks for every figure on a theme rather than asking a question."""
    return bool(_FIGURE_REQUEST.match(normalize(text or "").strip()))


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
    terms = [t for t in dict.fromkeys(tokenize(normalized)) if len(t) >= 2 and not t.isascii() and t not in _REQUEST_WORDS]
    if not terms:
        raise BadQuestion("请给出一个主题，例如：提案、协商议事、委员履职、社情民意、民主监督")
    phrase = _REQUEST.sub("", normalized).strip("的之 ")
    # The phrase as written weighs most ("乡村振兴"); its words catch the sentences that split it.
    if len(phrase) >= 2 and all(t in phrase for t in terms):
        terms = [phrase, *(t for t in terms if t != phrase)]
    return Theme(name=phrase if len(phrase) >= 2 else "、".join(terms), query=" ".join(terms), terms=tuple(terms))


@dataclass(frozen=True, slots=True)
class Row:
    """One committee's cell(s): exact sentences on the theme, each an Excerpt with its offsets."""

    short_name: str
    committee: str
    reports: tuple[ReportMeta, ...]
    figures: tuple[Excerpt, ...]  # sentences holding a figure
    practices: tuple[Excerpt, ...] = ()  # other sentences on the theme

    @property
    def found(self) -> bool:
        return bool(self.figures or self.practices)


@dataclass(frozen=True, slots=True)
class Overview:
    theme: Theme
    kind: str  # "overview", "figures" (the figure finder) or "compare"
    rows: tuple[Row, ...]

    def excerpts(self) -> list[Excerpt]:
        return [e for row in self.rows for e in (*row.figures, *row.practices)]


class Topics:
    """Overviews over one loaded index. Build one per Retriever (the app does so after each upload)."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self.source = ExcerptSource(retriever.index.chunks)
        # Every report is searched with the same query: embed it once, not once per report.
        # A shallow copy shares the index and BM25 with `retriever`; only the embedder differs.
        self._searcher = copy.copy(retriever)
        self._searcher.embedder = _QueryMemo(retriever.embedder)

    def committees(self) -> list[str]:
        """Short names of the committees in the index, in corpus order."""
        return list(dict.fromkeys(meta.short_name for meta in self.retriever.reports.values()))

    def overview(self, theme: str | Theme, committees: Iterable[str] = ()) -> Overview:
        """One row per committee (all, or those named): its key figures and practices on the theme."""
        theme = theme if isinstance(theme, Theme) else theme_for(theme)
        rows = [self._row(short, report_ids, theme) for short, report_ids in self._groups(committees)]
        return Overview(theme, "overview", tuple(rows))

    def figures(self, theme: str | Theme, committees: Iterable[str] = ()) -> Overview:
        """Every sentence holding a figure on the theme, grouped by committee, in reading order."""
        theme = theme if isinstance(theme, Theme) else theme_for(theme)
        rows = []
        for short, report_ids in self._groups(committees):
            found = [
                e for rid in report_ids for e in self.source.sentences(rid)
                if _weight(e, theme) and has_figure(e.text)
            ]
            rows.append(self._make_row(short, report_ids, found, []))
        return Overview(theme, "figures", tuple(rows))

    def compare(self, theme: str | Theme, first: str, second: str) -> Overview:
        """The overview of two committees, in the order given, for a side-by-side view."""
        if not first or not second:
            raise BadQuestion("请选择两个政协进行对比")
        overview = self.overview(theme, [first, second])
        if len(overview.rows) < 2:
            raise BadQuestion("请选择两个不同的政协进行对比")
        return Overview(overview.theme, "compare", overview.rows)

    def _groups(self, committees: Iterable[str]) -> list[tuple[str, list[str]]]:
        """(short name, its report ids) for the committees named (any name a question may use), or all."""
        reports = self.retriever.reports
        wanted = [c for c in committees if c]
        if not wanted:
            order = list(reports)
        else:
            order = []
            for name in wanted:
                found = [rid for rid, meta in reports.items() if name in (meta.short_name, meta.committee)]
                found = found or self.retriever.named_reports(normalize(name))
                if not found:
                    raise BadQuestion(f"所收录的报告中没有“{name}”的报告")
                order.extend(rid for rid in found if rid not in order)
        groups: dict[str, list[str]] = {}
        for rid in order:
            groups.setdefault(reports[rid].short_name, []).append(rid)
        return list(groups.items())

    def _row(self, short: str, report_ids: list[str], theme: Theme) -> Row:
        scored: dict[tuple[str, int, int], tuple[float, Excerpt]] = {}
        for rid in report_ids:
            result = self._searcher.search(theme.query, top_k=_DEPTH, where=SearchFilter(report_ids=frozenset({rid})))
            for rank, hit in enumerate(result.hits):
                for excerpt in self.source.sentences_around(hit.chunk):
                    weight = _weight(excerpt, theme)
                    key = (excerpt.chunk.doc, excerpt.start, excerpt.end)
                    if weight and key not in scored:
                        scored[key] = (weight + _RANK_WEIGHT / (rank + 1), excerpt)
        ranked = [e for _, e in sorted(scored.values(), key=lambda pair: (-pair[0], pair[1].start))]
        figures = [e for e in ranked if has_figure(e.text)][:MAX_FIGURES]
        practices = [e for e in ranked if not has_figure(e.text)][:MAX_PRACTICES]
        return self._make_row(short, report_ids, figures, practices)

    def _make_row(self, short: str, report_ids: list[str], figures: list[Excerpt], practices: list[Excerpt]) -> Row:
        metas = tuple(self.retriever.reports[rid] for rid in report_ids)
        order = {rid: i for i, rid in enumerate(report_ids)}

        def reading(e: Excerpt):
            return (order.get(e.chunk.report_id, 0), e.start)

        return Row(
            short_name=short,
            committee=metas[0].committee,
            reports=metas,
            figures=tuple(sorted(figures, key=reading)),
            practices=tuple(sorted(practices, key=reading)),
        )


class _QueryMemo:
    """An embedder that remembers its last query vectors; everything else is the wrapped embedder's."""

    def __init__(self, embedder) -> None:
        self._embedder = embedder
        self._query = functools.lru_cache(maxsize=32)(embedder.embed_query)

    def embed_query(self, text: str) -> np.ndarray:
        return self._query(text).copy()  # callers may reshape or modify the array they get

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)


def _weight(excerpt: Excerpt, theme: Theme) -> float:
    """How much a sentence is about the theme: 0 when it holds none of its terms, or says nothing."""
    normalized = _INSTITUTION.sub(" ", normalize(excerpt.text))
    present = [t for t in theme.terms if t in normalized]
    if not present or says_nothing(excerpt.text, excerpt.chunk.headings):
        return 0.0
    return len(present) + (0.5 if theme.terms[0] in present else 0.0)
