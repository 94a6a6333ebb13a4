"""Basket -> the 素材篮 draft view, its count line, the export note, and the "加入素材篮" buttons other views carry."""

from __future__ import annotations

from rag.basket import HEADING, LEAD, MAX_HEADING_CHARS, MAX_NOTE_CHARS, MAX_OWN_CHARS, Basket, BasketItem, OwnBlock
from rag.cite import citation_line, report_label
from rag.draft import CONVERTED_MARK, draft_text
from rag.draft_word import font_notice
from rag.render.markup import html_text as _h
from rag.render.markup import markdown_text, notice_html, plan_tag

_EMPTY = (
    "素材篮是空的：在问答的来源卡片（包括“可能相关”的段落）或专题概览中点“加入素材篮”，"
    "引文连同出处会保存在这里（本浏览器，刷新后仍在）；再在上方写小标题和自己的段落，把引文排成讲稿。"
)
_LEGEND = "灰底为报告原文引文（不可修改，导出时附出处）；虚线框为撰稿人自拟文字（导出时单独成段，不加引号和出处）。"


def basket_html(basket: Basket, simplified: bool = False) -> str:
    """The draft in order: the writer's headings and paragraphs (editable), each quote verbatim with where it
    is from and its note; 上移/下移/移到/保存/删除 on each, and 复制全文 (the draft as plain text, rag.draft).

    Buttons, boxes and menus carry the entry's key only (and the writer's own text); the app applies
    the action to the basket it rebuilds from the index (rag.basket.Basket.restore).
    """
    if not basket.entries:
        return notice_html(_EMPTY)
    sections = basket.sections()
    targets = [(LEAD, "开头（第一个小标题之前）")] + [(s.key, s.heading.text) for s in sections[1:]]
    rows, number = [], 0
    for entry in basket.entries:
        if isinstance(entry, BasketItem):
            number += 1
            rows.append(_quote_row(entry, number, targets))
        elif entry.kind == HEADING:
            rows.append(_heading_row(entry))
        else:
            rows.append(_own_row(entry, targets))
    counts = f"讲稿：{len(basket.items)} 段引文 · {len(sections) - 1} 个小标题 · {len(basket.own) - len(sections) + 1} 段自拟文字"
    # basket.js copies data-copy (the draft as plain text, escaped as an attribute) to the clipboard.
    copy = f'<button type="button" class="rag-copy rag-copy-all" data-copy="{_h(draft_text(basket, simplified))}">复制全文</button>'
    head = f'<div class="rag-draft-head"><span>{counts}</span>{copy}</div><div class="rag-where">{_LEGEND}</div>'
    return f'<div class="rag-sources">{head}<ol class="rag-basket">{"".join(rows)}</ol></div>'


def _quote_row(item: BasketItem, number: int, targets) -> str:
    return (
        f'<li class="rag-item rag-quote" data-key="{_h(item.key)}">'
        f'<div class="rag-card-head"><span class="rag-num">{number}.</span>'
        f"{_h(report_label(item.short_name, item.title, item.year))}{plan_tag(item.plan)}</div>"
        f'<p class="rag-item-text">{_h(item.text)}</p>'
        f'<div class="rag-where">{_h(citation_line(item))}</div>'
        f'<textarea class="rag-note" placeholder="备注（可选，只给自己看，导出时列在出处下）" maxlength="{MAX_NOTE_CHARS}">'
        f"{_h(item.note)}</textarea>"
        f'<div class="rag-item-actions">{_moves(targets)}<button type="button" data-action="note">保存备注</button>'
        '<button type="button" data-action="remove">删除</button></div></li>'
    )


def _heading_row(block: OwnBlock) -> str:
    return (
        f'<li class="rag-item rag-heading" data-key="{_h(block.key)}">'
        '<div class="rag-kind">小标题（上移、下移时整节一起移动）</div>'
        f'<textarea class="rag-edit" rows="1" maxlength="{MAX_HEADING_CHARS}">{_h(block.text)}</textarea>'
        f'<div class="rag-item-actions">{_moves(())}<button type="button" data-action="edit">保存</button>'
        '<button type="button" data-action="remove" title="小标题下的内容并入上一节">删除</button></div></li>'
    )


def _own_row(block: OwnBlock, targets) -> str:
    return (
        f'<li class="rag-item rag-own" data-key="{_h(block.key)}">'
        '<div class="rag-kind">自拟段落（撰稿人所写，不是引文）</div>'
        f'<textarea class="rag-edit" maxlength="{MAX_OWN_CHARS}">{_h(block.text)}</textarea>'
        f'<div class="rag-item-actions">{_moves(targets)}<button type="button" data-action="edit">保存</button>'
        '<button type="button" data-action="remove">删除</button></div></li>'
    )


def _moves(targets) -> str:
    """上移, 下移, and (for what sits in a section) a menu moving it to the end of another section."""
    buttons = '<button type="button" data-action="up" title="上移">上移</button><button type="button" data-action="down" title="下移">下移</button>'
    if not targets:
        return buttons
    options = "".join(f'<option value="{_h(key)}">{_h(label)}</option>' for key, label in targets)
    return f'{buttons}<select class="rag-move" title="移到某个小标题下（放在该节末尾）"><option value="">移到…</option>{options}</select>'


def basket_count_markdown(basket: Basket, message: str = "") -> str:
    """'素材篮：N 条', with what just happened ("已加入", "2 条引文已与报告不符，已移出")."""
    line = f"素材篮：{len(basket)} 条"
    return markdown_text(f"{line}。{message}" if message else line)


def export_note_markdown() -> str:
    """Under the export buttons: the .docx layout, the fonts this machine previews it with, the conversion option."""
    return markdown_text(
        f"{font_notice()}勾选“繁体引文转为简体”只改导出文件和“复制全文”，每段转换过的引文后注明{CONVERTED_MARK}；"
        "素材篮里保存的仍是报告原文。"
    )


def add_button(key: str, text: str, label: str) -> str:
    """A "加入素材篮" button: it carries the quote's key (rag.basket.basket_key), and its text only as a tooltip."""
    preview = text if len(text) <= 60 else text[:60] + "…"
    return f'<button type="button" class="rag-add" data-basket="{_h(key)}" title="{_h(preview)}">{_h(label)}</button>'
