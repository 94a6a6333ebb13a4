"""Answer -> the chat message (Markdown), the same answer as plain text for the terminal, and the source cards (HTML)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from rag.basket import basket_key
from rag.cite import location, report_label, short_source, source_line
from rag.period import plan_label
from rag.records import Answer, Chunk, Quote
from rag.render.basket import add_button
from rag.render.markup import html_text as _h
from rag.render.markup import markdown_text, notice_html, plan_tag, static_text

# Inline so it survives Gradio re-rendering the HTML; the text travels in data-copy, escaped
# as an attribute, so no report text is ever spliced into JavaScript source.
_COPY_ONCLICK = static_text("copy.js").strip()


@dataclass(frozen=True, slots=True)
class _Style:
    """How the parts of an answer are written in one medium."""

    text: Callable[[str], str]  # quoted or user text, shown exactly
    aside: Callable[[str], str]  # a remark of ours about the answer
    label: Callable[[str], str]  # the head of a list
    number: Callable[[int], str]  # "1." of a numbered line
    sentence_break: str
    sources_head: str
    source_break: str


_MARKDOWN = _Style(
    text=markdown_text, aside=lambda s: f"*{markdown_text(s)}*", label=lambda s: f"**{s}**",
    number=lambda i: f"{i}\\.", sentence_break="\n\n", sources_head="来源：", source_break="；",
)
_PLAIN = _Style(
    text=str, aside=str, label=str, number=lambda i: f"{i}.", sentence_break="\n", sources_head="来源：\n", source_break="\n",
)


def answer_markdown(answer: Answer) -> str:
    """The chat message: the answer with its [n] markers and a one-line source list.

    An abstention is the plain statement followed by the "可能相关" passages, labelled as
    not being an answer. A follow-up shows the question it was read as.
    """
    return "\n\n".join(_parts(answer, _MARKDOWN))


def answer_text(answer: Answer) -> str:
    """The chat message as plain text, as `rag ask` prints it: the same parts, one source a line."""
    return "\n\n".join(_parts(answer, _PLAIN))


def error_markdown(message: str) -> str:
    return markdown_text(f"出错了：{message}")


def _parts(answer: Answer, style: _Style) -> list[str]:
    parts = []
    if answer.verdict and not answer.checks:
        # What the reader is looking at, before reading it: a direct answer, related content that
        # does not answer, or nothing in the reports.
        sure = style.aside(f"（把握 {answer.confidence:.0%}）") if answer.verdict == "直接回答" else ""
        parts.append(style.label(answer.verdict) + sure)
    if answer.notice:
        parts.append(style.aside(answer.notice))
    if answer.reading:
        parts.append(style.aside(answer.reading))
    if answer.standalone.strip() != answer.question.strip():
        parts.append(style.aside(f"按“{answer.standalone}”理解"))
    if answer.checks:
        # A generated answer, sentence by sentence: a sentence its sources do not bear out
        # (a figure, a name, a clause, a negation, a citation) is marked, with each problem in
        # words, the unsupported part quoted (rag.verify).
        parts.append(style.sentence_break.join(
            style.text(check.text) if check.supported
            else f"⚠️ {style.text(check.text)} {style.aside('（未核实：' + '；'.join(check.problems) + '）')}"
            for check in answer.checks
        ))
    else:
        parts.append(style.text(answer.text))
    if answer.abstained:
        if answer.related:
            lines = [
                f"{style.number(i)} {style.text(short_source(hit.chunk) + '：' + _one_line(hit.chunk.text))}"
                for i, hit in enumerate(answer.related, 1)
            ]
            parts.append(style.label("可能相关") + "（仅供参考，不是答案）：\n" + "\n".join(lines))
    elif answer.citations:
        sources = [f"[{c.number}] {short_source(c.chunk)}" for c in answer.citations]
        parts.append(style.text(style.sources_head + style.source_break.join(sources)))
    if answer.backend != "extractive":
        verdict = "全部句子已核对来源" if answer.verified else f"{sum(not c.supported for c in answer.checks)} 句未能核实"
        parts.append(style.aside(f"回答：{answer.backend} · {verdict}"))
    return parts


def source_cards_html(answer: Answer) -> str:
    """One card per citation: who, which report, which section and paragraph, the passage with
    the quoted sentences in <mark>, and a button copying the quote with a formal citation line.

    An abstention gets cards for its "可能相关" passages instead, dashed and without marks; each
    can still go into the basket whole.
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


def empty_sources_html() -> str:
    return notice_html("提问后，这里显示答案引用的原文段落。")


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


def passage_html(chunk: Chunk, quotes) -> str:
    """The passage with its quoted sentences in <mark> and its doubtful OCR lines underlined."""
    marked = highlight_spans(chunk, quotes)
    doubtful = [(s - chunk.start, e - chunk.start) for s, e in chunk.ocr_doubtful]
    cuts = sorted({0, len(chunk.text), *(x for span in marked + doubtful for x in span)})
    parts = []
    for start, end in zip(cuts, cuts[1:]):
        piece = _h(chunk.text[start:end])
        if any(s <= start and end <= e for s, e in doubtful):
            piece = f'<span class="rag-doubtful" title="OCR识别置信度低，请核对原件">{piece}</span>'
        if any(s <= start and end <= e for s, e in marked):
            piece = f"<mark>{piece}</mark>"
        parts.append(piece)
    return "".join(parts)


def _ocr_notice(chunk: Chunk) -> str:
    if chunk.ocr_confidence is None:
        return ""
    return f'<div class="rag-ocr">OCR识别，请以原件为准（最低置信度 {chunk.ocr_confidence:.2f}）</div>'


def _card(chunk: Chunk, number: int, quotes: list[Quote] | tuple, related: bool = False) -> str:
    quoted = "".join(q.text for q in sorted(quotes, key=lambda q: q.start)) or chunk.text.strip()
    copy = f"{quoted}\n{source_line(chunk)}"
    committee = chunk.short_name
    if chunk.committee and chunk.committee != chunk.short_name:
        committee += f"（{chunk.committee}）"
    return (
        f'<article class="rag-card{" rag-related" if related else ""}" data-citation="{number}">'
        f'<div class="rag-card-head"><span class="rag-num">[{number}]</span>'
        f"{_h(report_label(committee, chunk.title, chunk.year))}{plan_tag(plan_label(chunk))}</div>"
        f'<div class="rag-where">{_h(location(chunk))}</div>'
        f"{_ocr_notice(chunk)}"
        f'<p class="rag-passage">{passage_html(chunk, quotes)}</p>'
        f'<div class="rag-actions">'
        f'<button type="button" class="rag-copy" data-copy="{_h(copy)}" onclick="{_h(_COPY_ONCLICK)}">复制引文</button>'
        f"{_add_buttons(chunk, quotes)}</div>"
        "</article>"
    )


def _add_buttons(chunk: Chunk, quotes) -> str:
    """"加入素材篮" per quoted sentence, and "加入整段" for the passage (the only button of a "可能相关"
    card, which has no quotes). A button carries only the quote's key; the server looks the quote up
    in what the answer offered (rag.basket.answer_excerpts, rag.workspace.offer)."""
    ordered = sorted(quotes, key=lambda q: q.start)
    buttons = [
        add_button(basket_key(chunk.doc, q.start, q.end), q.text, "加入素材篮" if len(ordered) == 1 else f"加入素材篮·第{i}句")
        for i, q in enumerate(ordered, 1)
    ]
    buttons.append(add_button(basket_key(chunk.doc, chunk.start, chunk.end), chunk.text, "加入整段"))
    return "".join(buttons)


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())
