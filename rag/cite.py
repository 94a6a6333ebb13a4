"""A passage or quote (anything with committee, title, year, headings, paragraph) -> its citation line.

Every place that names a source takes its line from here, one function per form:
- the formal forms, written under a quote in a speech draft: `source_line` (what "复制引文"
  copies) and `citation_line` (what the basket exports; the rest of the section path and the
  paragraph in brackets); `full_reference` is the latter without the dash, for numbered source
  lists; `report_reference` names the report alone.
- the short form for cards, the chat and the terminal: `short_source`, built on `location`.
- `passage_header`: how a numbered passage is introduced to a language model.
A passage from a paged document (PDF, scan) names its page in every form: "第3页", or
"第3-4页" for a paragraph that runs over a page break.
"""

from __future__ import annotations

from typing import Protocol

QUOTE_DASH = "——"
NO_SECTION = "导语"  # a passage before the first heading
LOCATOR = " · "


class Cited(Protocol):
    committee: str  # full name, "政协淮安市金湖县委员会"
    short_name: str  # "金湖县政协"
    title: str
    year: int | None
    headings: tuple[str, ...]  # outermost first
    paragraph: int
    pages: tuple[int, ...]  # (n,) or (first, last); () for an unpaged document


def report_reference(committee: str, title: str, year: int | None) -> str:
    """政协淮安市金湖县委员会《题目》（2023年）."""
    return f"{committee}《{title}》" + (f"（{year}年）" if year else "")


def source_line(item: Cited) -> str:
    """——{committee}《{title}》（{year}年），{top-level section}[，第N页]: the line "复制引文" puts under a quote."""
    return QUOTE_DASH + _top_reference(item)


def full_reference(item: Cited) -> str:
    """{committee}《{title}》（{year}年），{top-level section}[，第N页]（{deeper sections}，第N段）."""
    detail = "，".join([*item.headings[1:], f"第{item.paragraph}段"])
    return f"{_top_reference(item)}（{detail}）"


def citation_line(item: Cited) -> str:
    """The formal line with the paragraph, as exports write it under each quote."""
    return QUOTE_DASH + full_reference(item)


def location(item: Cited) -> str:
    """{section path} · [第N页 · ]第N段: where in the report to look."""
    return LOCATOR.join([section(item), *_page(item), f"第{item.paragraph}段"])


def page_label(pages: tuple[int, ...]) -> str:
    """第3页, 第3-4页, or "" for an unpaged document."""
    if not pages:
        return ""
    return f"第{pages[0]}页" if len(pages) == 1 or pages[0] == pages[-1] else f"第{pages[0]}-{pages[-1]}页"


def short_source(item: Cited) -> str:
    """金湖县政协《题目》（2023） · {section path} · 第N段."""
    year = f"（{item.year}）" if item.year else ""
    return f"{item.short_name}《{item.title}》{year}{LOCATOR}{location(item)}"


def report_label(name: str, title: str, year: int | None) -> str:
    """金湖县政协 · 《题目》 · 2023年: the head of a card."""
    return f"{name}{LOCATOR}《{title}》" + (f"{LOCATOR}{year}年" if year else "")


def passage_header(number: int, item: Cited) -> str:
    """[n] {committee}《{title}》{year}，{section path}: a passage as a language model's prompt numbers it."""
    page = page_label(item.pages)
    return f"[{number}] {item.committee}《{item.title}》{item.year or ''}，{section(item)}" + (f"，{page}" if page else "")


def section(item: Cited) -> str:
    return " > ".join(item.headings) or NO_SECTION


def _page(item: Cited) -> list[str]:
    page = page_label(item.pages)
    return [page] if page else []


def _top_reference(item: Cited) -> str:
    reference = report_reference(item.committee, item.title, item.year)
    return "，".join([reference, *item.headings[:1], *_page(item)])
