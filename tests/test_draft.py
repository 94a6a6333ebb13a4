"""rag.draft and rag.draft_word on real quotes over tests/data: the speech draft as .docx (official layout),
Markdown and plain text: quotes verbatim with their source lines, the writer's words apart, no file names."""

import io
import re

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from markdown_it import MarkdownIt

from rag.basket import HEADING, OWN_TEXT, Basket, BasketItem, answer_excerpts
from rag.cite import citation_line
from rag.draft import CONVERTED_MARK, draft_markdown, draft_text, report_sources
from rag.draft_word import BODY_FONT, HEADING_FONT, FONT_NAMES, draft_docx, font_notice, installed_chinese_fonts
from rag.excerpts import ExcerptSource
from rag.records import Chunk, Excerpt

JINHU = "县政协十一届二次会议提案立案159件,办结率和满意率均为100%。"
JINHU_SOURCE = (
    "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），"
    "服务中心大局 在助力高质量发展上勇担当、建真言（围绕重点工作建言献策，第1段）"
)
ZHENJIANG_TITLE = "政协镇江市委员会《奮力實干擔當 書寫精彩答卷——鎮江市政協2024年履職工作綜述》（2024年）"
OWN = "这一年，我们把提案办理作为履职的重要抓手。"
# A file name of the corpus or of tests/data: what no export may show.
FILE_NAME = re.compile(r"\.(txt|md|html|docx?|pdf)\b|\d{3}_[0-9a-f]{16}")


@pytest.fixture(scope="module")
def quotes(data_assistant, data_retriever):
    jinhu = answer_excerpts(data_assistant.ask("金湖县政协提案立案多少件？"))[0]
    zhenjiang = answer_excerpts(data_assistant.ask("镇江市政协提案办理满意率和解决率是多少？"))[0]
    haian = ExcerptSource(data_retriever.index.chunks).sentences("haian.md")[5]
    return [BasketItem.from_excerpt(e) for e in (jinhu, zhenjiang, haian)]


@pytest.fixture(scope="module")
def draft(quotes):
    jinhu, zhenjiang, haian = quotes
    return (
        Basket().write(HEADING, "一、提案工作").write(OWN_TEXT, OWN).add(jinhu).add(zhenjiang)
        .annotate(zhenjiang.key, "用于第二部分：协商成果转化")
        .write(HEADING, "二、委员履职").add(haian).write(OWN_TEXT, "第一段自拟。\n第二段自拟。")
    )


def _docx(basket, simplified=False):
    return Document(io.BytesIO(draft_docx(basket, simplified)))


def test_docx_is_a4_with_the_official_margins_fonts_and_page_numbers(draft):
    document = _docx(draft)
    section = document.sections[0]
    sizes = (section.page_width, section.page_height, section.top_margin, section.bottom_margin,
             section.left_margin, section.right_margin)
    assert [round(size / Mm(1), 1) for size in sizes] == [210, 297, 37, 35, 28, 26]
    normal, heading = document.styles["Normal"], document.styles["Heading 1"]
    for style, font in ((normal, BODY_FONT), (heading, HEADING_FONT)):
        fonts = style.element.rPr.rFonts
        assert {fonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "eastAsia", "cs")} == {font}
        assert not [name for name in fonts.attrib if "Theme" in name or "theme" in name]  # a theme font would win
        assert style.font.size.pt == 16  # 三号
    assert BODY_FONT == "仿宋" and HEADING_FONT == "黑体"
    paragraphs = document.paragraphs
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == ["一、提案工作", "二、委员履职", "来源"]
    footer = section.footer.paragraphs[0]
    assert footer.text == "— 1 —" and footer.alignment == 1  # centred; "1" is shown until Word updates the field
    assert footer._p.xpath("string(.//w:instrText)").strip() == "PAGE"
    assert [c.get(qn("w:fldCharType")) for c in footer._p.iter(qn("w:fldChar"))] == ["begin", "separate", "end"]


def test_docx_holds_quotes_verbatim_own_text_apart_and_sources_without_file_names(draft, quotes):
    jinhu, zhenjiang, haian = quotes
    paragraphs = _docx(draft).paragraphs
    texts = [p.text for p in paragraphs]
    at = texts.index(jinhu.text)
    assert texts[at + 1] == JINHU_SOURCE and paragraphs[at].style.name == "引文"
    at = texts.index(zhenjiang.text)  # Traditional, as in the report
    assert texts[at + 1].startswith("——" + ZHENJIANG_TITLE) and texts[at + 2] == "备注：用于第二部分：协商成果转化"
    # The writer's paragraphs: one paragraph per line, their own style, never a quote's.
    own = [p for p in paragraphs if p.style.name == "自拟正文"]
    assert [p.text for p in own] == [OWN, "第一段自拟。", "第二段自拟。"]
    assert texts.index(OWN) == texts.index("一、提案工作") + 1 < texts.index(jinhu.text)
    assert texts.index("二、委员履职") < texts.index(haian.text) < texts.index("第一段自拟。")
    assert "159件" in "\n".join(texts) and "解決率76.5%" in zhenjiang.text
    sources = texts[texts.index("来源") + 1 :]
    assert sources == [
        "1. 政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年）：第1段",
        f"2. {ZHENJIANG_TITLE}：第{zhenjiang.paragraph}段",
        f"3. {report_sources(Basket((haian,)))[0]}",
    ]
    assert not FILE_NAME.search("\n".join(texts))


def test_markdown_sets_quotes_in_block_quotes_and_own_text_as_paragraphs(draft, quotes):
    jinhu, zhenjiang, _ = quotes
    markdown = draft_markdown(draft)
    # Figures and "." survive unescaped in the raw file: what a reader copies is the report's text.
    assert f"> {jinhu.text}\n>\n> {JINHU_SOURCE}\n" in markdown
    assert "## 一、提案工作\n\n" + OWN in markdown and "备注：用于第二部分：协商成果转化" in markdown
    assert markdown.index("## 来源") > markdown.index(zhenjiang.text[:20]) and not FILE_NAME.search(markdown)
    rendered = MarkdownIt("commonmark").render(markdown)
    quoted = "".join(re.findall(r"<blockquote>(.*?)</blockquote>", rendered, re.S))
    assert JINHU in quoted and "76.5%" in quoted and OWN not in quoted and "第一段自拟" not in quoted
    assert f"<p>{OWN}</p>" in rendered and "<h2>二、委员履职</h2>" in rendered


def test_plain_text_is_what_copy_all_gives(draft, quotes):
    jinhu, zhenjiang, _ = quotes
    text = draft_text(draft)
    assert f"一、提案工作\n\n{OWN}\n\n“{jinhu.text}”\n{JINHU_SOURCE}\n\n“{zhenjiang.text}”\n——" in text
    assert "第一段自拟。\n第二段自拟。" in text and f"“{OWN}”" not in text
    assert text.split("\n来源\n")[1].startswith("1. 政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年）：第1段\n")
    assert not FILE_NAME.search(text)


def test_traditional_quotes_are_converted_in_the_export_only_and_marked(draft, quotes):
    jinhu, zhenjiang, _ = quotes
    simplified = "政协提案办理满意率保持100%"
    texts = [p.text for p in _docx(draft, simplified=True).paragraphs]
    converted = next(t for t in texts if t.endswith(CONVERTED_MARK))
    assert "满意率保持100%" in converted and "解决率76.5%" in converted and "滿" not in converted
    assert jinhu.text in texts and [t for t in texts if CONVERTED_MARK in t] == [converted]  # Simplified stays as it is
    assert "其中 1 段由繁体转为简体" in texts[1]
    assert CONVERTED_MARK in draft_text(draft, simplified=True) and CONVERTED_MARK in draft_markdown(draft, simplified=True)
    assert CONVERTED_MARK not in draft_text(draft) + draft_markdown(draft)
    assert draft.find(zhenjiang.key).text == zhenjiang.text and "滿意率" in zhenjiang.text  # the basket keeps the report's text
    assert simplified not in draft_text(draft)


def test_a_paged_quote_names_its_page_in_its_line_and_in_the_sources():
    text = "全年立案提案136件。"
    chunk = Chunk(chunk_id="c", report_id="xuyi.pdf", doc="xuyi.pdf", committee="政协盱眙县委员会", short_name="盱眙县政协",
                  title="工作报告", year=2024, kind="", headings=("一、提案",), paragraph=4, start=0, end=len(text),
                  text=text, pages=(3,))
    basket = Basket((BasketItem.from_excerpt(Excerpt(text, 0, len(text), chunk)),))
    assert report_sources(basket) == ["政协盱眙县委员会《工作报告》（2024年）：第4段（第3页）"]
    for export in (draft_text(basket), draft_markdown(basket), "\n".join(p.text for p in _docx(basket).paragraphs)):
        assert "第3页" in export and "xuyi.pdf" not in export
    assert citation_line(chunk) in draft_text(basket)


def test_markdown_keeps_report_markup_and_own_markup_inert():
    hostile = BasketItem(
        text='详见[提案公开](http://example.com/x)<img src=x onerror="alert(1)">，*立案*136件，增长1.5万，76.5%。',
        doc="x.txt", report_id="x.txt", committee="盱眙县政协", short_name="盱眙县政协", title="<b>报告</b>",
        year=2024, headings=("一、提案",), paragraph=1, start=0, end=10, note="1. 不是列表",
    )
    basket = Basket((hostile,)).write(HEADING, "# <i>标题</i>").write(OWN_TEXT, "> 不是引文\n- 不是列表 [链接](http://x.cn)")
    markdown = draft_markdown(basket)
    rendered = MarkdownIt("commonmark").render(markdown)
    body = rendered.split("<h2>来源</h2>")[0]  # 来源 is the one list
    assert not re.search(r"<(a|img|b|em|i|ul|ol|li|h1)[\s>]", body.split("</h1>", 1)[1]) and body.count("<blockquote>") == 1
    assert "136件" in markdown and "1.5万" in markdown and "76.5%" in markdown


def test_control_characters_do_not_break_the_docx():
    basket = Basket().write(OWN_TEXT, "正文\x0b含竖排制表符")
    assert [p.text for p in _docx(basket).paragraphs if p.style.name == "自拟正文"] == ["正文含竖排制表符"]


def test_the_font_note_names_the_installed_stand_in_for_a_missing_font():
    note = font_notice()
    assert "A4" in note and "仿宋" in note and "黑体" in note
    installed = installed_chinese_fonts()
    if installed is None:
        pytest.skip("fontconfig (fc-list) is not installed here")
    if not set(FONT_NAMES[BODY_FONT]) & installed:
        assert "本机未安装仿宋" in note and any(f"以 {name} 显示" in note for name in installed)
    else:
        assert "本机未安装仿宋" not in note
