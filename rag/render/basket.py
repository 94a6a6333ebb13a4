"""Basket -> the 素材篮 list, its count line, and the "加入素材篮" buttons other views carry."""

from __future__ import annotations

from rag.basket import Basket
from rag.cite import citation_line, report_label
from rag.render.markup import html_text as _h
from rag.render.markup import markdown_text, notice_html

_EMPTY = (
    "素材篮是空的：在问答的来源卡片或专题概览中点“加入素材篮”，"
    "引文连同出处会保存在这里（本浏览器，刷新后仍在）。"
)


def basket_html(basket: Basket) -> str:
    """The basket as a list: each quote verbatim, where it is from, its note, and 上移/下移/删除/保存备注.

    Buttons and the note box carry the item's key only; the app applies the action to the
    basket it rebuilds from the index (rag.basket.Basket.restore).
    """
    if not basket.items:
        return notice_html(_EMPTY)
    items = []
    for number, item in enumerate(basket.items, 1):
        items.append(
            f'<li class="rag-item" data-key="{_h(item.key)}">'
            f'<div class="rag-card-head"><span class="rag-num">{number}.</span>'
            f"{_h(report_label(item.short_name, item.title, item.year))}</div>"
            f'<p class="rag-item-text">{_h(item.text)}</p>'
            f'<div class="rag-where">{_h(citation_line(item))}</div>'
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


def add_button(key: str, text: str, label: str) -> str:
    """A "加入素材篮" button: it carries the quote's key (rag.basket.basket_key), and its text only as a tooltip."""
    preview = text if len(text) <= 60 else text[:60] + "…"
    return f'<button type="button" class="rag-add" data-basket="{_h(key)}" title="{_h(preview)}">{_h(label)}</button>'
