"""Answer / index status -> the Markdown and HTML the chat app shows; pure strings, no Gradio.

Everything that comes from a report or from the user is escaped here, so an uploaded report
holding `<img onerror=…>` or `[link](http://…)` is shown as text, never run or linked:
HTML gets `html.escape`, chat Markdown gets a backslash before every Markdown special.
"""

from __future__ import annotations

import html
import re

from rag.records import Answer, Chunk, Quote, ReportMeta

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
.rag-copy { font-size: 0.85em; padding: 2px 10px; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color); }
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
    line = f"——{chunk.committee}《{chunk.title}》"
    if chunk.year:
        line += f"（{chunk.year}年）"
    if chunk.headings:
        line += f"，{chunk.headings[0]}"
    return line


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
        f'<button type="button" class="rag-copy" data-copy="{_h(copy)}" onclick="{_h(_COPY_ONCLICK)}">复制引文</button>'
        "</article>"
    )


def _short_source(chunk: Chunk) -> str:
    year = f"（{chunk.year}）" if chunk.year else ""
    return f"{chunk.short_name}《{chunk.title}》{year}，{chunk.heading or '导语'}，第{chunk.paragraph}段"


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


def _h(text: str) -> str:
    return html.escape(text, quote=True)
