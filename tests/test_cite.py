"""rag.cite: every form of a citation line, and the places that used to write their own."""

import re

import pytest

from rag.basket import Basket, BasketItem
from rag.draft import draft_markdown
from rag.cite import (
    citation_line, full_reference, location, passage_header, report_reference, short_source, source_line,
)
from rag.overview import Overview, Row, theme_for
from rag.prompt import answer_messages
from rag.records import Answer, Chunk, Citation, Excerpt, Hit, Quote
from rag.render.answer import answer_markdown, answer_text, source_cards_html
from rag.render.overview import overview_html

TEXT = "县政协十一届二次会议提案立案159件,办结率和满意率均为100%。"


def chunk(headings=("服务中心大局 在助力高质量发展上勇担当、建真言", "围绕重点工作建言献策"), year=2023, paragraph=6):
    return Chunk(
        chunk_id="c1", report_id="jinhu.txt", doc="jinhu.txt", committee="政协淮安市金湖县委员会", short_name="金湖县政协",
        title="踔厉奋发担使命 勇毅前行谱新篇", year=year, kind="常委会工作报告", headings=headings,
        paragraph=paragraph, start=100, end=100 + len(TEXT), text=TEXT,
    )


NESTED = chunk()
TOP_ONLY = chunk(headings=("一、提案工作",))
INTRO = chunk(headings=(), paragraph=1)
UNDATED = chunk(year=None)


def test_formal_lines_as_staff_paste_them():
    assert report_reference("政协淮安市金湖县委员会", "踔厉奋发担使命 勇毅前行谱新篇", 2023) == (
        "政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年）"
    )
    assert source_line(NESTED) == (
        "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），服务中心大局 在助力高质量发展上勇担当、建真言"
    )
    assert citation_line(NESTED) == source_line(NESTED) + "（围绕重点工作建言献策，第6段）"
    assert citation_line(TOP_ONLY) == "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），一、提案工作（第6段）"
    assert citation_line(INTRO) == "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年）（第1段）"
    assert source_line(UNDATED) == "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》，服务中心大局 在助力高质量发展上勇担当、建真言"


@pytest.mark.parametrize("item", [NESTED, TOP_ONLY, INTRO, UNDATED])
def test_the_copied_line_begins_the_exported_line(item):
    """What "复制引文" copies and what the export writes under the same quote start alike."""
    assert citation_line(item).startswith(source_line(item))
    assert citation_line(item) == "——" + full_reference(item)


def test_short_line_and_locator():
    assert short_source(NESTED) == (
        "金湖县政协《踔厉奋发担使命 勇毅前行谱新篇》（2023） · "
        "服务中心大局 在助力高质量发展上勇担当、建真言 > 围绕重点工作建言献策 · 第6段"
    )
    assert location(INTRO) == "导语 · 第1段"
    assert short_source(UNDATED).startswith("金湖县政协《踔厉奋发担使命 勇毅前行谱新篇》 · ")


def test_prompt_header_is_unchanged():
    assert passage_header(2, NESTED) == (
        "[2] 政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》2023，"
        "服务中心大局 在助力高质量发展上勇担当、建真言 > 围绕重点工作建言献策"
    )
    assert passage_header(1, INTRO).endswith("2023，导语")
    user = answer_messages("提案立案多少件？", {1: INTRO})[1]["content"]
    assert f"{passage_header(1, INTRO)}\n{TEXT}" in user


def _answer(item: Chunk) -> Answer:
    quote = Quote(TEXT, item.start, item.end, 1)
    return Answer("提案立案多少件？", "提案立案多少件？", f"{TEXT}[1]", (quote,), (Citation(1, item, 1.0),), abstained=False)


@pytest.mark.parametrize("item", [NESTED, INTRO])
def test_chat_terminal_and_card_name_a_passage_alike(item):
    """They disagreed: the chat wrote "（2023），section，第N段", `rag ask` the full committee name and
    "2023，section", `rag search` "2023 · section", the cards "（导语）" where the chat wrote "导语".
    Now the chat and the terminal print short_source, and the card's locator is its tail."""
    answer = _answer(item)
    assert f"[1] {short_source(item)}" in answer_text(answer)
    unescaped = re.sub(r"\\(.)", r"\1", answer_markdown(answer))
    assert f"来源：[1] {short_source(item)}" in unescaped
    assert f'<div class="rag-where">{location(item)}</div>' in source_cards_html(answer).replace("&gt;", ">")
    assert short_source(item).endswith(location(item))


def test_abstention_names_related_passages_with_the_short_line():
    answer = Answer("问", "问", "所收录的报告中没有找到这个问题的答案。", (), (), abstained=True, related=(Hit(INTRO, 0.5),))
    assert f"1. {short_source(INTRO)}：{TEXT}" in answer_text(answer)


def test_overview_sources_are_the_export_lines():
    """They disagreed: the overview listed "…，top，deeper > deeper，第N段" where the export writes
    "…，top（deeper，deeper，第N段）". The overview now lists what the basket will export."""
    excerpt = Excerpt(TEXT, NESTED.start, NESTED.end, NESTED)
    row = Row("金湖县政协", NESTED.committee, (), (excerpt,))
    page = overview_html(Overview(theme_for("提案"), "figures", (row,)))
    assert f'<li id="rag-ov-src-1">[1] {full_reference(NESTED)}</li>' in page
    exported = draft_markdown(Basket((BasketItem.from_excerpt(excerpt),)))
    assert f"> {citation_line(NESTED)}\n" in exported


PAGED = Chunk(**{**{f: getattr(NESTED, f) for f in NESTED.__slots__}, "pages": (3,)})
ACROSS_PAGES = Chunk(**{**{f: getattr(INTRO, f) for f in INTRO.__slots__}, "pages": (3, 4)})


def test_a_passage_from_a_pdf_names_its_page_in_every_form():
    top = "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），服务中心大局 在助力高质量发展上勇担当、建真言"
    assert source_line(PAGED) == top + "，第3页"
    assert citation_line(PAGED) == top + "，第3页（围绕重点工作建言献策，第6段）"
    assert citation_line(PAGED).startswith(source_line(PAGED))
    assert location(PAGED) == "服务中心大局 在助力高质量发展上勇担当、建真言 > 围绕重点工作建言献策 · 第3页 · 第6段"
    assert short_source(ACROSS_PAGES).endswith("导语 · 第3-4页 · 第1段")
    assert citation_line(ACROSS_PAGES) == "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），第3-4页（第1段）"
    assert passage_header(2, PAGED).endswith("第3页")
    # An unpaged report (.txt, .docx) has no page to name.
    assert "页" not in citation_line(NESTED) + location(NESTED)


def test_a_page_survives_the_basket_and_its_export():
    item = BasketItem.from_excerpt(Excerpt(PAGED.text, PAGED.start, PAGED.end, PAGED))
    again = BasketItem.from_dict(item.to_dict())
    assert again.pages == (3,)
    assert "第3页" in draft_markdown(Basket((again,)))
