"""Overview -> the topic table (HTML) with its numbered source list, and the chat's reply to a figure request.

Plans stand apart from results everywhere: a committee's plan sentences (Row.plans) get a line
of their own under its results, headed "工作计划", and every quote of a plan carries its
"2025年计划" tag, so a planned target is never read as an achieved figure.
"""

from __future__ import annotations

from rag.basket import basket_key
from rag.cite import full_reference
from rag.overview import Overview, Row
from rag.period import plan_label
from rag.records import Excerpt
from rag.render.markup import plan_tag
from rag.render.basket import add_button
from rag.render.markup import html_text as _h
from rag.render.markup import markdown_text, notice_html
from rag.text import figure_spans


def figures_summary_markdown(overview: Overview) -> str:
    """The chat's reply to a figure request: how many sentences each committee has, results and
    plans counted apart; the sentences themselves, cited, are in the table below the chat (figures
    are never restated here)."""
    counts = [f"{row.short_name} {len(row.figures)} 句" for row in overview.rows]
    total = sum(len(row.figures) for row in overview.rows)
    planned = sum(len(row.plans) for row in overview.rows)
    name = overview.theme.name
    if not total and not planned:
        return markdown_text(f"所收录的报告中没有找到关于“{name}”的数字。")
    plans = f"另有 {planned} 句出自工作计划，是目标而不是已完成的数字，表中标为“计划”。" if planned else ""
    if not total:
        return markdown_text(f"所收录的报告中没有关于“{name}”的已完成工作的数字；{plans}见下方表格。")
    return markdown_text(
        f"关于“{name}”，各报告中含数字的原句共 {total} 句（{'，'.join(counts)}），逐句摘录并注明出处，见下方表格。{plans}"
    )


def empty_overview_html() -> str:
    return notice_html("输入专题（如 提案、协商议事、委员履职、社情民意），按政协列出报告原文中的数字和做法。")


def overview_html(overview: Overview) -> str:
    """The topic overview as a table (one row per committee), the figure finder's list, or two
    committees side by side. Every sentence is quoted verbatim with its figures in bold, an [n]
    linking to its source line below the table (the line the basket exports it with), and a
    "加入素材篮" button."""
    sources = _Sources()
    theme = _h(overview.theme.name)
    cells = _Cells(overview, sources)
    head = f'<div class="rag-ov-head">{_h(_heading(overview))}</div>'
    if overview.kind == "compare":
        first, second = overview.rows[0], overview.rows[1]
        body = (
            f"<tr><th>专题：{theme}</th><th>{_who(first)}</th><th>{_who(second)}</th></tr>"
            f"<tr><th>关键数字</th><td>{cells.figures(first)}</td><td>{cells.figures(second)}</td></tr>"
            f"<tr><th>主要做法</th><td>{cells.practices(first)}</td><td>{cells.practices(second)}</td></tr>"
        )
        if first.plans or second.plans:
            body += f"<tr><th>工作计划</th><td>{cells.plans(first)}</td><td>{cells.plans(second)}</td></tr>"
    elif overview.kind == "figures":
        body = "<tr><th>政协</th><th>含数字的原句（数字未作改动）</th></tr>" + "".join(
            f'<tr data-committee="{_h(row.short_name)}"><td>{_who(row)}</td><td>{cells.figures(row)}</td></tr>'
            + _plan_row(row, cells, 1)
            for row in overview.rows
        )
    else:
        body = "<tr><th>政协</th><th>关键数字</th><th>主要做法</th></tr>" + "".join(
            f'<tr data-committee="{_h(row.short_name)}"><td>{_who(row)}</td>'
            f"<td>{cells.figures(row)}</td><td>{cells.practices(row)}</td></tr>" + _plan_row(row, cells, 2)
            for row in overview.rows
        )
    table = f'<table class="rag-overview rag-ov-{overview.kind}">{body}</table>'
    return f'<div class="rag-sources">{head}{table}{sources.html()}</div>'


class _Sources:
    """The numbered source list under a table: one number per passage, in order of first citation."""

    def __init__(self) -> None:
        self._numbers: dict[tuple, int] = {}
        self._lines: list[str] = []

    def number(self, excerpt: Excerpt) -> int:
        chunk = excerpt.chunk
        where = (chunk.doc, chunk.paragraph, chunk.headings)
        if where not in self._numbers:
            n = self._numbers[where] = len(self._numbers) + 1
            self._lines.append(f'<li id="rag-ov-src-{n}">[{n}] {_h(full_reference(chunk))}</li>')
        return self._numbers[where]

    def html(self) -> str:
        if not self._lines:
            return ""
        return f'<div class="rag-sources-head">来源</div><ol class="rag-ov-sources">{"".join(self._lines)}</ol>'


class _Cells:
    """The cells of one table: quoted sentences with their [n], or why a cell is empty."""

    def __init__(self, overview: Overview, sources: _Sources) -> None:
        self._overview = overview
        self._sources = sources

    def figures(self, row: Row) -> str:
        return self._cell(row.figures, row, figures=True)

    def practices(self, row: Row) -> str:
        return self._cell(row.practices, row, figures=False)

    def plans(self, row: Row) -> str:
        if row.plans:
            return "".join(self._quote(e) for e in row.plans)
        return f'<span class="rag-ov-none">{_h(f"报告中没有关于“{self._overview.theme.name}”的计划")}</span>'

    def _cell(self, excerpts: tuple[Excerpt, ...], row: Row, figures: bool) -> str:
        if excerpts:
            return "".join(self._quote(e) for e in excerpts)
        return f'<span class="rag-ov-none">{_h(_missing(self._overview, row, figures))}</span>'

    def _quote(self, excerpt: Excerpt) -> str:
        n = self._sources.number(excerpt)
        key = basket_key(excerpt.chunk.doc, excerpt.start, excerpt.end)
        return (
            f'<span class="rag-ov-quote" data-start="{excerpt.start}" data-end="{excerpt.end}">'
            f"{plan_tag(plan_label(excerpt.chunk))}{_figures_bold(excerpt.text)}"
            f'<a class="rag-cite" href="#rag-ov-src-{n}">[{n}]</a>'
            f"{add_button(key, excerpt.text, '加入素材篮')}</span>"
        )


def _heading(overview: Overview) -> str:
    """The line above a table: what it shows, of which theme."""
    theme = overview.theme.name
    if overview.kind == "compare":
        return f"对比 · {theme}：{overview.rows[0].short_name} 与 {overview.rows[1].short_name}"
    if overview.kind == "figures":
        count = sum(len(row.figures) for row in overview.rows)
        planned = sum(len(row.plans) for row in overview.rows)
        plans = f"；另有 {planned} 句出自工作计划（目标，不是已完成的数字）" if planned else ""
        return f"数字汇总 · {theme}：{count} 句含数字的原句{plans}，按政协分组"
    return f"专题概览 · {theme}：每个政协的报告单独检索，句子均为原文"


def _missing(overview: Overview, row: Row, figures: bool) -> str:
    """Why a committee's cell (its figures, or its practices) is empty: an empty cell is information too."""
    name = overview.theme.name
    if overview.kind == "figures":
        return f"报告未提及“{name}”的数字" + ("（只有计划中的数字，见下行）" if row.plans else "")
    if not row.found:
        return f"报告未提及“{name}”"
    if not row.has_results:
        return f"报告中关于“{name}”只有计划，没有已完成的工作" + ("" if overview.kind == "compare" else "（见下行）")
    return f"报告中关于“{name}”的表述没有数字" if figures else "—（相关表述见“关键数字”）"


def overview_text(overview: Overview) -> str:
    """The same table as plain text, as `rag overview` prints it: per committee its quoted sentences,
    each with an [n] to the numbered source lines at the end; plans under their own label."""
    numbers: dict[tuple, int] = {}
    sources: list[str] = []

    def quoted(excerpt: Excerpt) -> str:
        chunk = excerpt.chunk
        where = (chunk.doc, chunk.paragraph, chunk.headings)
        if where not in numbers:
            numbers[where] = len(numbers) + 1
            sources.append(f"[{numbers[where]}] {full_reference(chunk)}")
        plan = plan_label(chunk)
        return f"    {f'【{plan}】' if plan else ''}{excerpt.text}[{numbers[where]}]"

    lines = [_heading(overview)]
    for row in overview.rows:
        titles = "；".join(f"《{m.title}》" + (f"（{m.year}年）" if m.year else "") for m in row.reports)
        lines += ["", f"{row.short_name}{titles}"]
        cells = [("关键数字", row.figures, True)]
        if overview.kind != "figures":
            cells.append(("主要做法", row.practices, False))
        for label, excerpts, figures in cells:
            lines += [f"  {label}：", *map(quoted, excerpts)] if excerpts else [f"  {label}：{_missing(overview, row, figures)}"]
        if row.plans:
            lines += ["  工作计划（尚未实施）：", *map(quoted, row.plans)]
    if sources:
        lines += ["", "来源：", *sources]
    return "\n".join(lines)


def _plan_row(row: Row, cells: _Cells, span: int) -> str:
    """A committee's plan sentences on a line of their own, under its results ("" when it has none)."""
    if not row.plans:
        return ""
    return (
        f'<tr class="rag-ov-plans" data-plans-of="{_h(row.short_name)}"><td><b>{_h(row.short_name)}</b><br>'
        f'工作计划（尚未实施）</td><td colspan="{span}">{cells.plans(row)}</td></tr>'
    )


def _who(row: Row) -> str:
    titles = "；".join(f"《{_h(m.title)}》{f'（{m.year}年）' if m.year else ''}" for m in row.reports)
    return f"<b>{_h(row.short_name)}</b><br>{titles}"


def _figures_bold(text: str) -> str:
    """`text` escaped, its figures in <b>: the words are the report's, only the weight changes."""
    out, at = [], 0
    for start, end in figure_spans(text):
        out.append(_h(text[at:start]))
        out.append(f'<b class="rag-fig">{_h(text[start:end])}</b>')
        at = end
    out.append(_h(text[at:]))
    return "".join(out)
