"""A basket -> the speech draft as blocks, as plain text (复制全文, .txt) and as Markdown; rag.draft_word writes .docx.

Decisions:
- One walk (`draft_blocks`) decides what every export holds, in the writer's order: their
  headings and paragraphs as written; each quote verbatim, with its formal source line
  (rag.cite.citation_line: committee, report, year, section, 第N页, paragraph) and note; then
  来源, one line per report quoted (`report_sources`). No export names a file.
- Own text is never written as a quote: no quotation marks, no source line, paragraphs of its own.
- `simplified`: a quote from a Traditional report is converted to Simplified (OpenCC t2s) in the
  export only and followed by CONVERTED_MARK; the basket keeps the report's text verbatim. A
  source line names the report as it is titled, so that it can be found.
- Markdown escapes only what could turn into markup or links, never digits, "." or "%", so a
  figure reads exactly as in the report even in the raw .md file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.basket import HEADING, OWN_TEXT, Basket, BasketItem, OwnBlock
from rag.cite import citation_line, page_label, report_reference
from rag.text import to_simplified

TITLE = "讲稿素材"
QUOTE = "quote"
CONVERTED_MARK = "（据繁体原文转换）"
SOURCES_HEAD = "来源"

_MD_MARKUP = re.compile(r"([\\`*_\[\]<>#|~$&@])")
# A line starting "1. " or "- " would become a list; "1.5万" would not, and stays as it is.
_MD_LINE_START = re.compile(r"^(\s*)(\d{1,9})([.)])(?=\s|$)|^(\s*)([-+])(?=\s|$)", re.M)


@dataclass(frozen=True, slots=True)
class Block:
    """One block of the draft as exported."""

    kind: str  # HEADING, OWN_TEXT or QUOTE
    text: str  # a quote as exported: the report's text, or converted to Simplified (then `converted`)
    source: str = ""  # a quote's citation line
    note: str = ""
    converted: bool = False

    @property
    def lines(self) -> list[str]:
        """Own text, one exported paragraph per line."""
        return self.text.split("\n")


def draft_blocks(basket: Basket, simplified: bool = False) -> list[Block]:
    blocks = []
    for entry in basket.entries:
        if isinstance(entry, OwnBlock):
            blocks.append(Block(entry.kind, entry.text))
        else:
            text = to_simplified(entry.text) if simplified else entry.text
            # A plan is marked where the quote is sourced, so a target is never read as an achievement.
            source = citation_line(entry) + (f"（{entry.plan}）" if entry.plan else "")
            blocks.append(Block(QUOTE, text, source, entry.note, text != entry.text))
    return blocks


def draft_summary(basket: Basket, simplified: bool = False) -> str:
    """The line under the title: how many quotes, that they are verbatim, what was converted or is the writer's."""
    parts = [f"共 {len(basket.items)} 段引文，均为报告原文摘录，文字与数字未作改动"]
    converted = sum(block.converted for block in draft_blocks(basket, simplified))
    if converted:
        parts.append(f"其中 {converted} 段由繁体转为简体，已逐段标注")
    if basket.own:
        parts.append("小标题和自拟段落为撰稿人所写，未与报告核对")
    return "；".join(parts) + "。"


def report_sources(basket: Basket) -> list[str]:
    """One line per report quoted, in order of first quote: committee, title, year, then the paragraphs
    (with their pages, for a paged document): 政协…《题目》（2023年）：第1、6段."""
    grouped: dict[str, list[BasketItem]] = {}
    for item in basket.items:
        grouped.setdefault(item.report_id, []).append(item)
    lines = []
    for items in grouped.values():
        first = items[0]
        places = sorted({(item.paragraph, page_label(item.pages)) for item in items})
        if any(page for _, page in places):
            where = "、".join(f"第{paragraph}段" + (f"（{page}）" if page else "") for paragraph, page in places)
        else:
            where = "第" + "、".join(str(paragraph) for paragraph, _ in places) + "段"
        lines.append(f"{report_reference(first.committee, first.title, first.year)}：{where}")
    return lines


def draft_text(basket: Basket, simplified: bool = False, title: str = TITLE) -> str:
    """The draft as plain text, what 复制全文 copies and the .txt holds: a quote in “”, its source line under it."""
    parts = [title, draft_summary(basket, simplified)]
    for block in draft_blocks(basket, simplified):
        if block.kind == QUOTE:
            lines = [f"“{block.text}”" + (CONVERTED_MARK if block.converted else ""), block.source]
            parts.append("\n".join(lines + ([f"备注：{block.note}"] if block.note else [])))
        else:
            parts.append(block.text)
    sources = report_sources(basket)
    if sources:
        parts.append("\n".join([SOURCES_HEAD, *(f"{number}. {line}" for number, line in enumerate(sources, 1))]))
    return "\n\n".join(parts) + "\n"


def draft_markdown(basket: Basket, simplified: bool = False, title: str = TITLE) -> str:
    """The draft as Markdown: headings as ##, own paragraphs as paragraphs, each quote a block quote ending in its source line."""
    parts = [f"# {_md(title)}", _md(draft_summary(basket, simplified))]
    for block in draft_blocks(basket, simplified):
        if block.kind == HEADING:
            parts.append(f"## {_md(block.text)}")
        elif block.kind == OWN_TEXT:
            parts.extend(_md(line) for line in block.lines)
        else:
            quoted = _md(block.text + (CONVERTED_MARK if block.converted else "")).split("\n")
            parts.append("\n".join([*(f"> {line}" for line in quoted), ">", f"> {_md(block.source)}"]))
            if block.note:
                parts.append(f"备注：{_md(block.note)}".replace("\n", "\n\n"))
    sources = report_sources(basket)
    if sources:
        parts.append(f"## {SOURCES_HEAD}\n\n" + "\n".join(f"- {_md(line)}" for line in sources))
    return "\n\n".join(parts) + "\n"


def _md(text: str) -> str:
    """`text` for a Markdown file: markup characters backslash-escaped, links defused, figures untouched."""
    text = _MD_MARKUP.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}" if m.group(2) else f"{m.group(4)}\\{m.group(5)}", text)
    # GFM turns "http://x" and "www.x" into links on its own.
    return text.replace("://", "\\://").replace("www.", "www\\.")
