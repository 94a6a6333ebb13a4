"""A theme ("提案", "协商议事", free text) -> a table across all reports, the figures on it, or two committees side by side.

Decisions:
- One row per committee, and each report is read on its own: a short report, or one that
  says the theme less often, is never crowded out of the table by a long one.
- Words decide, retrieval ranks: a sentence belongs to the theme by the rules of rag.theme
  (a term of the theme held free: not one item of a list of other things, not in a phrase
  that means something else; no headings or fragments; figures measuring the theme and not
  another). Every sentence of the report is considered, so a strong sentence in a passage
  retrieval ranks low is not lost; one in a passage `Retriever.search` ranks high (the
  theme's query in that report alone) comes first among equals.
- Every cell quotes whole sentences (`rag.excerpts`), exact slices of the report with
  offsets; nothing is summarised, so a figure is never rephrased or computed.
- Plans apart from results (rag.period): a sentence from a plan section (姜堰's
  2025年工作安排, all of 杜集's 2025 plan, a closing "…政协将…" paragraph) goes to
  `Row.plans`, never to the figures or practices, so a planned target never stands as an
  achieved figure. Rows show results in "关键数字" (sentences holding a figure,
  `rag.text.has_figure`, at most MAX_FIGURES) and "主要做法" (the others, at most
  MAX_PRACTICES), each in reading order, and plans (at most MAX_PLANS) on a line of their own.
- The figure finder reads every sentence of every report too and promises all the figures
  on the theme, grouped by committee, plans again apart.
- A committee without a sentence on the theme keeps its row, saying the report does not
  mention it: an empty cell is information too ("杜集区's plan gives no proposal figures").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from rag.errors import BadQuestion
from rag.excerpts import ExcerptSource
from rag.period import period_of
from rag.records import Chunk, Excerpt, ReportMeta, SearchFilter
from rag.retrieve import Retriever
from rag.text import has_figure, normalize
from rag.theme import THEMES, Theme, theme_for, theme_weight

__all__ = ["THEMES", "Overview", "Row", "Theme", "Topics", "is_figure_request", "theme_for"]

# How much of a committee's row a speechwriter gets. Measured with bench/overview_quality.py on
# eval/overview_labels.jsonl (the sentences a speechwriter would pick): 3 practices and 4 plans
# found 0.851 of the picks (协商议事 0.731, 委员履职 0.778) at precision 0.966; 5 and 6 find
# 0.883 (every theme 0.808 or more) at 0.969; 6 and 6 find 0.894 but precision falls to 0.955.
MAX_FIGURES = 5
MAX_PRACTICES = 5
MAX_PLANS = 6
_DEPTH = 12  # passages searched per report; the reports here have 16-32
_RANK_WEIGHT = 0.3


# "列出所有报告中关于提案的数字", "汇总各地社情民意的数据": a request for the figure finder, not a question.
_FIGURE_REQUEST = re.compile(r"^(?:请)?(?:列出|列举|汇总|找出|给出|整理)[^。？?]*(?:数字|数据)")


def is_figure_request(text: str) -> bool:
    """True when a chat message asks for every figure on a theme rather than asking a question."""
    return bool(_FIGURE_REQUEST.match(normalize(text or "").strip()))


@dataclass(frozen=True, slots=True)
class Row:
    """One committee's cell(s): exact sentences on the theme, each an Excerpt with its offsets."""

    short_name: str
    committee: str
    reports: tuple[ReportMeta, ...]
    figures: tuple[Excerpt, ...]  # results: sentences holding a figure
    practices: tuple[Excerpt, ...] = ()  # results: other sentences on the theme
    plans: tuple[Excerpt, ...] = ()  # sentences of plan sections (rag.period), figures or not

    @property
    def found(self) -> bool:
        return bool(self.figures or self.practices or self.plans)

    @property
    def has_results(self) -> bool:
        return bool(self.figures or self.practices)


@dataclass(frozen=True, slots=True)
class Overview:
    theme: Theme
    kind: str  # "overview", "figures" (the figure finder) or "compare"
    rows: tuple[Row, ...]

    def excerpts(self) -> list[Excerpt]:
        return [e for row in self.rows for e in (*row.figures, *row.practices, *row.plans)]


class Topics:
    """Overviews over one loaded index. Build one per Retriever (the app does so after each upload)."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self.source = ExcerptSource(retriever.index.chunks)
        self._chunks: dict[str, list[Chunk]] = {}  # a report's chunks, to find the passages holding a sentence

    def committees(self) -> list[str]:
        """Short names of the committees in the index, in corpus order."""
        return list(dict.fromkeys(meta.short_name for meta in self.retriever.reports.values()))

    def overview(self, theme: str | Theme, committees: Iterable[str] = ()) -> Overview:
        """One row per committee (all, or those named): its key figures and practices on the theme."""
        theme = theme if isinstance(theme, Theme) else theme_for(theme)
        rows = [self._row(short, report_ids, theme) for short, report_ids in self._groups(committees)]
        return Overview(theme, "overview", tuple(rows))

    def figures(self, theme: str | Theme, committees: Iterable[str] = ()) -> Overview:
        """Every sentence holding a figure on the theme, grouped by committee, in reading order;
        those of plan sections in `Row.plans`."""
        theme = theme if isinstance(theme, Theme) else theme_for(theme)
        rows = []
        for short, report_ids in self._groups(committees):
            found = [
                e for rid in report_ids for e in self.source.sentences(rid)
                if _weight(e, theme) and has_figure(e.text)
            ]
            results = [e for e in found if not period_of(e.chunk).plan]
            plans = [e for e in found if period_of(e.chunk).plan]
            rows.append(self._make_row(short, report_ids, results, [], plans))
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
        scored: list[tuple[float, Excerpt]] = []
        for rid in report_ids:
            result = self.retriever.search(theme.query, top_k=_DEPTH, where=SearchFilter(report_ids=frozenset({rid})))
            ranks = {hit.chunk.chunk_id: rank for rank, hit in enumerate(result.hits)}
            for excerpt in self.source.sentences(rid):
                weight = _weight(excerpt, theme)
                if weight:
                    rank = min((ranks[c.chunk_id] for c in self._holders(excerpt) if c.chunk_id in ranks), default=None)
                    scored.append((weight + (_RANK_WEIGHT / (rank + 1) if rank is not None else 0.0), excerpt))
        ranked = [e for _, e in sorted(scored, key=lambda pair: (-pair[0], pair[1].start))]
        plans = [e for e in ranked if period_of(e.chunk).plan]
        results = [e for e in ranked if not period_of(e.chunk).plan]
        figures = [e for e in results if has_figure(e.text)][:MAX_FIGURES]
        practices = [e for e in results if not has_figure(e.text)][:MAX_PRACTICES]
        return self._make_row(short, report_ids, figures, practices, plans[:MAX_PLANS])

    def _holders(self, excerpt: Excerpt) -> list[Chunk]:
        """The chunks a sentence lies in: the one that holds it, and any other overlapping it."""
        rid = excerpt.chunk.report_id
        if rid not in self._chunks:
            table = self.retriever.index.chunks
            self._chunks[rid] = [table[row] for row in table.report_rows().get(rid, ())]
        return [c for c in self._chunks[rid] if c.start < excerpt.end and excerpt.start < c.end]

    def _make_row(
        self, short: str, report_ids: list[str], figures: list[Excerpt], practices: list[Excerpt], plans: list[Excerpt] = ()
    ) -> Row:
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
            plans=tuple(sorted(plans, key=reading)),
        )


def _weight(excerpt: Excerpt, theme: Theme) -> float:
    """How much a sentence is about the theme (rag.theme.theme_weight): 0 when it is not."""
    chunk = excerpt.chunk
    return theme_weight(excerpt.text, theme, chunk.headings, chunk.text[: max(excerpt.start - chunk.start, 0)])
