"""Answer / index status -> the Markdown and HTML the chat app shows; pure strings, no Gradio.

Everything that comes from a report or from the user is escaped here, so an uploaded report
holding `<img onerror=…>` or `[link](http://…)` is shown as text, never run or linked:
HTML gets `html.escape`, chat Markdown gets a backslash before every Markdown special.
"""

from __future__ import annotations

import html
import re

from rag.basket import Basket, basket_key, source_line
from rag.overview import Overview, figure_spans
from rag.records import Answer, Chunk, Excerpt, Quote, ReportMeta

# Every character Markdown (CommonMark + GFM autolinks, KaTeX "$") may read as syntax. The
# ":", "@" and "." escapes stop GFM from turning "http://x", "www.x" or "a@b.cn" into links.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$<>&:@=\"'])")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s:：]+)+[\\/]([^\\/\s:：]+)")

SOURCES_CSS = """
.rag-sources { display: flex; flex-direction: column; gap: 10px; }
.rag-sources-head { font-weight: 600; color: var(--body-text-color-subdued); }
.rag-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--block-background-fill); color: var(--body-text-color); }
.rag-card.rag-related { border-style: dashed; }
.rag-card-head { font-weight: 600; }
.rag-num { color: var(--color-accent); margin-right: 4px; }
.rag-where { font-size: 0.9em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.rag-passage { white-space: pre-wrap; line-height: 1.7; margin: 0 0 6px; }
.rag-passage mark { background: #ffe58f; color: #1f1f1f; padding: 0 1px; }
.rag-copy, .rag-add, .rag-item-actions button { font-size: 0.85em; padding: 2px 10px; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color); }
.rag-actions, .rag-item-actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.rag-add[disabled] { opacity: 0.6; cursor: default; }
.rag-basket { display: flex; flex-direction: column; gap: 10px; padding-left: 0; list-style: none; }
.rag-item { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--block-background-fill); color: var(--body-text-color); }
.rag-item-text { line-height: 1.7; margin: 0 0 4px; white-space: pre-wrap; }
.rag-note { width: 100%; min-height: 2.4em; margin: 4px 0; font: inherit; color: var(--body-text-color);
  background: var(--input-background-fill); border: 1px solid var(--border-color-primary); border-radius: 4px; }
.rag-overview { width: 100%; border-collapse: collapse; }
.rag-overview th, .rag-overview td { border: 1px solid var(--border-color-primary); padding: 6px 8px; vertical-align: top;
  text-align: left; color: var(--body-text-color); }
.rag-overview th { background: var(--background-fill-secondary); }
.rag-overview { table-layout: fixed; }
.rag-overview tr > :first-child { width: 11em; }
.rag-ov-compare tr > :first-child { width: 6em; }
.rag-ov-quote { display: block; margin-bottom: 6px; line-height: 1.7; }
.rag-ov-quote .rag-fig { font-weight: 700; }
.rag-ov-none { color: var(--body-text-color-subdued); }
.rag-cite { color: var(--color-accent); text-decoration: none; margin: 0 4px 0 2px; }
.rag-ov-sources { font-size: 0.9em; color: var(--body-text-color-subdued); list-style: none; padding-left: 0; }
.rag-ov-head { font-weight: 600; margin-bottom: 6px; color: var(--body-text-color); }
"""

# gr.HTML js_on_load for the cards, the basket and the overview: one delegated listener on the
# component's element (which outlives every re-render of its content). A button sends only its
# data-* key; the text of a quote never travels from the browser to the server.
ADD_TO_BASKET_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.rag-add');
  if (!button || !element.contains(button)) return;
  trigger('click', {basket: button.dataset.basket});
  button.textContent = '已加入';
  button.disabled = true;
});
"""
BASKET_JS = """
const send = (action, item) => {
  const note = item.querySelector('textarea.rag-note');
  trigger('click', {action: action, key: item.dataset.key, note: note ? note.value : ''});
};
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  const item = button && button.closest('li.rag-item');
  if (item && element.contains(item)) send(button.dataset.action, item);
});
element.addEventListener('change', (event) => {
  const item = event.target.matches('textarea.rag-note') && event.target.closest('li.rag-item');
  if (item) send('note', item);
});
// Re-rendering patches the list in place, item by item; a note box the user typed in keeps its
// typed text unless reset to the note the server now holds for that position.
watch('value', () => element.querySelectorAll('textarea.rag-note').forEach((box) => { box.value = box.defaultValue; }));
"""

# Inline so it survives Gradio re-rendering the HTML; the text travels in data-copy, escaped
# as an attribute, so no report text is ever spliced into JavaScript source.
_COPY_ONCLICK = (
    "navigator.clipboard.writeText(this.dataset.copy)"
    ".then(() => { this.textContent = '已复制'; }, () => { this.textContent = '复制失败'; })"
)


def markdown_text(text: str) -> str:
    """`text` as Markdown that renders to exactly `text`: every special character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer with its [n] markers and a one-line source list.

    An abstention is the plain statement followed by the "可能相关" passages, labelled as
    not being an answer. A follow-up shows the question it was read as.
    """
    parts = []
    if answer.notice:
        parts.append(f"*{markdown_text(answer.notice)}*")
    if answer.standalone.strip() != answer.question.strip():
        parts.append(f"*按“{markdown_text(answer.standalone)}”理解*")
    if answer.checks:
        # A generated answer, sentence by sentence: a sentence whose figures or citations
        # could not be found in its sources is marked, with what is wrong.
        lines = []
        for check in answer.checks:
            if check.supported:
                lines.append(markdown_text(check.text))
            else:
                lines.append(f"⚠️ {markdown_text(check.text)} *（未核实：{markdown_text('；'.join(check.problems))}）*")
        parts.append("\n\n".join(lines))
    else:
        parts.append(markdown_text(answer.text))
    if answer.abstained:
        if answer.related:
            lines = [
                f"{i}\\. {markdown_text(_short_source(hit.chunk))}：{markdown_text(_one_line(hit.chunk.text))}"
                for i, hit in enumerate(answer.related, 1)
            ]
            parts.append("**可能相关**（仅供参考，不是答案）：\n" + "\n".join(lines))
    elif answer.citations:
        sources = "；".join(f"[{c.number}] {_short_source(c.chunk)}" for c in answer.citations)
        parts.append(markdown_text(f"来源：{sources}"))
    if answer.backend != "extractive":
        verdict = "全部句子已核对来源" if answer.verified else f"{sum(not c.supported for c in answer.checks)} 句未能核实"
        parts.append(f"*回答：{markdown_text(answer.backend)} · {verdict}*")
    return "\n\n".join(parts)


def stream_prefixes(markdown: str, step: int = 8) -> list[str]:
    """Growing prefixes of `markdown` for a streamed reply, ending with the whole of it.

    A prefix never ends inside a backslash escape, so no half-escaped character flashes up.
    """
    prefixes, end = [], 0
    while end < len(markdown):
        end = min(end + step, len(markdown))
        while end < len(markdown) and markdown[end - 1] == "\\":
            end += 1
        prefixes.append(markdown[:end])
    return prefixes


def error_markdown(message: str) -> str:
    return markdown_text(f"出错了：{message}")


def source_cards_html(answer: Answer) -> str:
    """One card per citation: who, which report, which section and paragraph, the passage with
    the quoted sentences in <mark>, and a button copying the quote with a formal citation line.

    An abstention gets cards for its "可能相关" passages instead, dashed and without marks.
    """
    head = f'<div class="rag-sources-head">来源 · 问题：{_h(answer.question)}</div>'
    if answer.abstained:
        cards = [_card(hit.chunk, i, (), related=True) for i, hit in enumerate(answer.related, 1)]
        if cards:
            head += '<div class="rag-sources-head">没有找到答案；以下段落可能相关，仅供参考：</div>'
    else:
        cards = [
            _card(c.chunk, c.number, [q for q in answer.quotes if q.citation == c.number]) for c in answer.citations
        ]
    return f'<div class="rag-sources">{head}{"".join(cards)}</div>'


def empty_sources_html(message: str = "提问后，这里显示答案引用的原文段落。") -> str:
    return f'<div class="rag-sources"><div class="rag-sources-head">{_h(message)}</div></div>'


def citation_line(chunk: Chunk) -> str:
    """——{committee}《{title}》（{year}年），{top-level heading}: how a quote is cited in writing."""
    return source_line(chunk.committee, chunk.title, chunk.year, chunk.headings[0] if chunk.headings else "")


def highlight_spans(chunk: Chunk, quotes) -> list[tuple[int, int]]:
    """Offsets into `chunk.text` of the quoted sentences, sorted and merged.

    Quote offsets index the report file, like the chunk's, so a quote sits at
    `quote.start - chunk.start`; a quote that does not lie in the chunk is not marked.
    """
    spans = []
    for q in quotes:
        start, end = q.start - chunk.start, q.end - chunk.start
        if 0 <= start < end <= len(chunk.text) and chunk.text[start:end] == q.text:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def status_markdown(status: dict) -> str:
    """The index status panel: reports, chunks, embedder, when it was built and how long it took."""
    lines = [
        "**索引状态**",
        f"- 回答方式：{markdown_text(str(status.get('answerer', 'extractive')))}",
        f"- 报告：{status.get('reports', 0)} 份（{status.get('files', 0)} 个文件）",
        f"- 段落：{status.get('chunks', 0)} 个",
        f"- 向量模型：{markdown_text(str(status.get('embedder', '')))}",
    ]
    if status.get("dense"):
        lines.append(f"- 检索：{markdown_text(str(status['dense']))} 向量 \\+ BM25")
    built = str(status.get("built", "")).replace("T", " ").replace("Z", " UTC")
    if built:
        seconds = status.get("build_seconds")
        took = f"，用时 {seconds:.1f} 秒" if isinstance(seconds, (int, float)) else ""
        lines.append(f"- 建立时间：{markdown_text(built.strip())}{took}")
    if status.get("failed"):
        lines.append(f"- 未能读取：{markdown_text('、'.join(status['failed']))}")
    return "\n".join(lines)


def upload_added_markdown(file_name: str, reports: list[ReportMeta], passages: int) -> str:
    """'已加入：file（committee《title》），N 个段落'."""
    names = "；".join(f"{m.short_name}《{m.title}》" for m in reports)
    what = f"{file_name}（{names}）" if names else file_name
    return markdown_text(f"已加入：{what}，{passages} 个段落")


def upload_failed_markdown(message: str) -> str:
    """'上传失败：reason', with server-side paths cut to the file name."""
    return markdown_text("上传失败：" + _PATH.sub(r"\1", message))


def filter_choices(reports: dict[str, ReportMeta]) -> tuple[list[str], list[int], list[tuple[str, str]]]:
    """Choices of the three filters: committee short names, years, and (title, report_id) pairs."""
    committees = sorted({m.short_name for m in reports.values()})
    years = sorted({m.year for m in reports.values() if m.year}, reverse=True)
    titles = [m.title for m in reports.values()]
    options = [
        (m.title if titles.count(m.title) == 1 else f"{m.title}（{m.short_name}）", rid)
        for rid, m in sorted(reports.items(), key=lambda item: (item[1].short_name, item[0]))
    ]
    return committees, years, options


def basket_html(basket: Basket) -> str:
    """The basket as a list: each quote verbatim, where it is from, its note, and 上移/下移/删除/保存备注.

    Buttons and the note box carry the item's key only; the app applies the action to the
    basket it rebuilds from the index (rag.basket.Basket.restore).
    """
    if not basket.items:
        return (
            '<div class="rag-sources"><div class="rag-sources-head">素材篮是空的：在问答的来源卡片或专题概览中'
            "点“加入素材篮”，引文连同出处会保存在这里（本浏览器，刷新后仍在）。</div></div>"
        )
    items = []
    for number, item in enumerate(basket.items, 1):
        year = f" · {item.year}年" if item.year else ""
        items.append(
            f'<li class="rag-item" data-key="{_h(item.key)}">'
            f'<div class="rag-card-head"><span class="rag-num">{number}.</span>'
            f"{_h(item.short_name)} · 《{_h(item.title)}》{year}</div>"
            f'<p class="rag-item-text">{_h(item.text)}</p>'
            f'<div class="rag-where">{_h(item.citation)}</div>'
            f'<textarea class="rag-note" placeholder="备注（可选，例如用在讲稿哪一部分）" maxlength="500">{_h(item.note)}</textarea>'
            '<div class="rag-item-actions">'
            '<button type="button" data-action="up" title="上移">上移</button>'
            '<button type="button" data-action="down" title="下移">下移</button>'
            '<button type="button" data-action="note">保存备注</button>'
            '<button type="button" data-action="remove">删除</button>'
            "</div></li>"
        )
    head = f'<div class="rag-sources-head">素材篮：{len(basket.items)} 条（引文均为报告原文，导出时逐条附出处）</div>'
    return f'<div class="rag-sources">{head}<ol class="rag-basket">{"".join(items)}</ol></div>'


def basket_count_markdown(basket: Basket, message: str = "") -> str:
    """'素材篮：N 条', with what just happened ("已加入", "2 条引文已与报告不符，已移出")."""
    line = f"素材篮：{len(basket)} 条"
    return markdown_text(f"{line}。{message}" if message else line)


def figures_summary_markdown(overview: Overview) -> str:
    """The chat's reply to a figure request: how many sentences each committee has; the sentences
    themselves, cited, are in the table below the chat (figures are never restated here)."""
    counts = [f"{row.short_name} {len(row.figures)} 句" for row in overview.rows]
    total = sum(len(row.figures) for row in overview.rows)
    if not total:
        return markdown_text(f"所收录的报告中没有找到关于“{overview.theme.name}”的数字。")
    return markdown_text(
        f"关于“{overview.theme.name}”，各报告中含数字的原句共 {total} 句（{'，'.join(counts)}），"
        "逐句摘录并注明出处，见下方表格。"
    )


def overview_html(overview: Overview) -> str:
    """The topic overview as a table (one row per committee), the figure finder's list, or two
    committees side by side. Every sentence is quoted verbatim with its figures in bold, an [n]
    linking to its source line below the table, and a "加入素材篮" button."""
    numbers: dict[tuple, int] = {}
    sources: list[str] = []

    def cite(excerpt: Excerpt) -> str:
        chunk = excerpt.chunk
        where = (chunk.doc, chunk.paragraph, chunk.headings)
        if where not in numbers:
            numbers[where] = len(numbers) + 1
            line = f"{citation_line(chunk)}{'，' + ' > '.join(chunk.headings[1:]) if chunk.headings[1:] else ''}，第{chunk.paragraph}段"
            sources.append(f'<li id="rag-ov-src-{numbers[where]}">[{numbers[where]}] {_h(line.removeprefix("——"))}</li>')
        n = numbers[where]
        return (
            f'<span class="rag-ov-quote" data-start="{excerpt.start}" data-end="{excerpt.end}">{_figures_bold(excerpt.text)}'
            f'<a class="rag-cite" href="#rag-ov-src-{n}">[{n}]</a>'
            f"{_add_button(basket_key(chunk.doc, excerpt.start, excerpt.end), excerpt.text, '加入素材篮')}</span>"
        )

    def cell(excerpts, row, figures: bool = True) -> str:
        if excerpts:
            return "".join(cite(e) for e in excerpts)
        if overview.kind == "figures":
            missing = f"报告中未找到关于“{overview.theme.name}”的数字"
        elif not row.found:
            missing = f"报告中未找到关于“{overview.theme.name}”的表述"
        else:
            missing = f"报告中关于“{overview.theme.name}”的表述没有数字" if figures else "—（相关表述见“关键数字”）"
        return f'<span class="rag-ov-none">{_h(missing)}</span>'

    def who(row) -> str:
        titles = "；".join(f"《{_h(m.title)}》{f'（{m.year}年）' if m.year else ''}" for m in row.reports)
        return f"<b>{_h(row.short_name)}</b><br>{titles}"

    theme = _h(overview.theme.name)
    if overview.kind == "compare":
        first, second = overview.rows[0], overview.rows[1]
        head = f'<div class="rag-ov-head">对比 · {theme}：{_h(first.short_name)} 与 {_h(second.short_name)}</div>'
        body = (
            f"<tr><th>专题：{theme}</th><th>{who(first)}</th><th>{who(second)}</th></tr>"
            f"<tr><th>关键数字</th><td>{cell(first.figures, first)}</td><td>{cell(second.figures, second)}</td></tr>"
            f"<tr><th>主要做法</th><td>{cell(first.practices, first, False)}</td><td>{cell(second.practices, second, False)}</td></tr>"
        )
    elif overview.kind == "figures":
        count = sum(len(row.figures) for row in overview.rows)
        head = f'<div class="rag-ov-head">数字汇总 · {theme}：{count} 句含数字的原句，按政协分组</div>'
        body = "<tr><th>政协</th><th>含数字的原句（数字未作改动）</th></tr>" + "".join(
            f'<tr data-committee="{_h(row.short_name)}"><td>{who(row)}</td><td>{cell(row.figures, row)}</td></tr>' for row in overview.rows
        )
    else:
        head = f'<div class="rag-ov-head">专题概览 · {theme}：每个政协的报告单独检索，句子均为原文</div>'
        body = "<tr><th>政协</th><th>关键数字</th><th>主要做法</th></tr>" + "".join(
            f'<tr data-committee="{_h(row.short_name)}"><td>{who(row)}</td><td>{cell(row.figures, row)}</td><td>{cell(row.practices, row, False)}</td></tr>'
            for row in overview.rows
        )
    listing = f'<div class="rag-sources-head">来源</div><ol class="rag-ov-sources">{"".join(sources)}</ol>' if sources else ""
    return f'<div class="rag-sources">{head}<table class="rag-overview rag-ov-{overview.kind}">{body}</table>{listing}</div>'


def empty_overview_html() -> str:
    return empty_sources_html("输入专题（如 提案、协商议事、委员履职、社情民意），按政协列出报告原文中的数字和做法。")


def _figures_bold(text: str) -> str:
    """`text` escaped, its figures in <b>: the words are the report's, only the weight changes."""
    out, at = [], 0
    for start, end in figure_spans(text):
        out.append(_h(text[at:start]))
        out.append(f'<b class="rag-fig">{_h(text[start:end])}</b>')
        at = end
    out.append(_h(text[at:]))
    return "".join(out)


def _card(chunk: Chunk, number: int, quotes: list[Quote] | tuple, related: bool = False) -> str:
    spans = highlight_spans(chunk, quotes)
    passage, at = [], 0
    for start, end in spans:
        passage.append(_h(chunk.text[at:start]))
        passage.append(f"<mark>{_h(chunk.text[start:end])}</mark>")
        at = end
    passage.append(_h(chunk.text[at:]))
    quoted = "".join(q.text for q in sorted(quotes, key=lambda q: q.start)) or chunk.text.strip()
    copy = f"{quoted}\n{citation_line(chunk)}"
    year = f" · {chunk.year}年" if chunk.year else ""
    committee = chunk.short_name
    if chunk.committee and chunk.committee != chunk.short_name:
        committee += f"（{chunk.committee}）"
    return (
        f'<article class="rag-card{" rag-related" if related else ""}" data-citation="{number}">'
        f'<div class="rag-card-head"><span class="rag-num">[{number}]</span>'
        f"{_h(committee)} · 《{_h(chunk.title)}》{year}</div>"
        f'<div class="rag-where">{_h(chunk.heading or "（导语）")} · 第{chunk.paragraph}段</div>'
        f'<p class="rag-passage">{"".join(passage)}</p>'
        f'<div class="rag-actions">'
        f'<button type="button" class="rag-copy" data-copy="{_h(copy)}" onclick="{_h(_COPY_ONCLICK)}">复制引文</button>'
        f"{'' if related else _add_buttons(chunk, quotes)}</div>"
        "</article>"
    )


def _add_buttons(chunk: Chunk, quotes) -> str:
    """"加入素材篮" per quoted sentence, and "加入整段" for the passage. A button carries only the
    quote's key; the server looks the quote up in the answer it produced (see app_gradio)."""
    ordered = sorted(quotes, key=lambda q: q.start)
    buttons = [
        _add_button(basket_key(chunk.doc, q.start, q.end), q.text, "加入素材篮" if len(ordered) == 1 else f"加入素材篮·第{i}句")
        for i, q in enumerate(ordered, 1)
    ]
    buttons.append(_add_button(basket_key(chunk.doc, chunk.start, chunk.end), chunk.text, "加入整段"))
    return "".join(buttons)


def _add_button(key: str, text: str, label: str) -> str:
    preview = text if len(text) <= 60 else text[:60] + "…"
    return f'<button type="button" class="rag-add" data-basket="{_h(key)}" title="{_h(preview)}">{_h(label)}</button>'


def _short_source(chunk: Chunk) -> str:
    year = f"（{chunk.year}）" if chunk.year else ""
    return f"{chunk.short_name}《{chunk.title}》{year}，{chunk.heading or '导语'}，第{chunk.paragraph}段"


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


def _h(text: str) -> str:
    return html.escape(text, quote=True)
