"""rag.render on real Answers over tests/data: marks sit on the quoted sentences, and report text stays inert."""

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import BadDocument
from rag.render import ADD_TO_BASKET_JS, APP_CSS, BASKET_JS
from rag.render.answer import answer_markdown, answer_text, source_cards_html
from rag.render.basket import basket_html
from rag.render.markup import markdown_text
from rag.render.overview import overview_html
from rag.render.status import filter_choices, status_markdown, upload_failed_markdown

DATA = Path(__file__).resolve().parent / "data"

HOSTILE_REPORT = """盱眙县政协2024年<i>工作报告</i>

一、聚焦<b onmouseover="window.__xss=3">中心大局</b>，提升建言质量
2024年，盱眙县政协围绕中心、服务大局，全年立案提案136件，办结率100%，详见[提案公开](http://example.com/x)<img src=x onerror="window.__xss=1">。
组织委员视察龙虾产业发展、城乡供水一体化等重点工作12次，<script>window.__xss=2</script>形成调研报告8篇。
"""

commonmark = MarkdownIt("commonmark")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, data_index, data_retriever):
    """An Assistant whose corpus holds a report full of HTML and Markdown, and its answer about it."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(DATA, root / "corpus")
    shutil.copytree(data_index, root / "index", symlinks=True)
    upload = root / "盱眙县政协2024年工作报告.txt"
    upload.write_text(HOSTILE_REPORT, encoding="utf-8")
    helper = Assistant(root / "corpus", root / "index", Settings(), data_retriever)
    helper.add_report(upload, upload.name)
    return helper.ask("盱眙县政协立案提案多少件？")


class _Page(HTMLParser):
    """Collects the tags, <mark> texts, passage texts and attributes of rendered cards."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.marks, self.passages, self.attrs = [], [], [], []
        self._in_mark = self._in_passage = False
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")
        if tag == "p" and ("class", "rag-passage") in attrs:
            self._in_passage = True
            self.passages.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark = False
        if tag == "p":
            self._in_passage = False

    def handle_data(self, data):
        if self._in_mark:
            self.marks[-1] += data
        if self._in_passage:
            self.passages[-1] += data


def _visible_text(markdown: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", commonmark.render(markdown)))


def test_each_mark_holds_exactly_its_quote(data_assistant):
    answer = data_assistant.ask("金湖县政协提案立案多少件？")
    page = _Page(source_cards_html(answer))
    assert [q.text for q in sorted(answer.quotes, key=lambda q: (q.citation, q.start))] == page.marks
    assert any("159" in mark for mark in page.marks)
    # The passage shown is the chunk, whole and unaltered, with the marks inside it.
    assert page.passages == [c.chunk.text for c in answer.citations]


def test_cards_name_committee_report_section_and_paragraph(data_assistant):
    answer = data_assistant.ask("金湖县政协提案立案多少件？")
    cards = source_cards_html(answer)
    first = answer.citations[0].chunk
    for text in ("金湖县政协", "政协淮安市金湖县委员会", "《踔厉奋发担使命 勇毅前行谱新篇》", "2023年",
                 html.escape(first.heading), f"第{first.paragraph}段", "复制引文"):
        assert text in cards


def test_copy_button_carries_quote_and_formal_citation(data_assistant):
    answer = data_assistant.ask("金湖县政协提案立案多少件？")
    copies = [value for name, value in _Page(source_cards_html(answer)).attrs if name == "data-copy"]
    assert len(copies) == len(answer.citations)
    quote = next(q for q in answer.quotes if "159" in q.text)
    top = answer.citations[quote.citation - 1].chunk.headings[0]
    assert copies[quote.citation - 1].startswith(quote.text)
    assert copies[quote.citation - 1].endswith(f"\n——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），{top}")


def test_answer_markdown_keeps_markers_and_names_sources(data_assistant):
    answer = data_assistant.ask("金湖县政协提案立案多少件？")
    shown = _visible_text(answer_markdown(answer))
    assert answer.text in shown
    assert "159" in shown and "[1]" in shown
    assert "来源：[1] 金湖县政协《踔厉奋发担使命 勇毅前行谱新篇》" in shown


def test_plain_text_answer_holds_what_the_chat_shows(data_assistant):
    """`rag ask` prints answer_text: the chat message's parts, unescaped, one source a line."""
    answer = data_assistant.ask("那洪泽区呢？", previous=["金湖县政协提案立案多少件？"])
    text = answer_text(answer)
    assert text.startswith(f"直接回答（把握 {answer.confidence:.0%}）\n\n按“{answer.standalone}”理解\n\n{answer.text}\n\n来源：\n[1] 洪泽区政协《")
    assert "\\" not in text and "*" not in text
    unmarked = re.sub(r"\*|\\(.)", lambda m: m.group(1) or "", answer_markdown(answer))
    assert unmarked.replace("来源：", "来源：\n").replace("；[", "\n[") == text


def test_plain_text_abstention_lists_related_passages(data_assistant):
    answer = data_assistant.ask("盱眙县政协立案提案多少件？")
    lines = answer_text(answer).split("\n")
    assert lines[0] == "报告未提及" and lines[2].startswith("所收录的报告中没有找到") and "可能相关（仅供参考，不是答案）：" in lines
    assert lines[-1].startswith(f"{len(answer.related)}. ") and "来源" not in answer_text(answer)


def test_css_and_scripts_come_with_the_package():
    assert ".rag-card" in APP_CSS and "trigger('click'" in ADD_TO_BASKET_JS and "data-action" in BASKET_JS


def test_follow_up_shows_how_it_was_read(data_assistant):
    answer = data_assistant.ask("那洪泽区呢？", previous=["金湖县政协提案立案多少件？"])
    shown = _visible_text(answer_markdown(answer))
    assert f"按“{answer.standalone}”理解" in shown
    assert "86" in shown


def test_abstention_lists_related_passages_without_marks(data_assistant):
    answer = data_assistant.ask("盱眙县政协立案提案多少件？")
    assert answer.abstained
    shown = _visible_text(answer_markdown(answer))
    assert shown.startswith("报告未提及\n所收录的报告中没有找到")
    assert "可能相关" in shown and "[1]" not in shown
    page = _Page(source_cards_html(answer))
    assert page.marks == [] and page.passages == [h.chunk.text for h in answer.related]


def test_hostile_report_is_inert_in_cards(hostile):
    assert not hostile.abstained and "136" in hostile.text
    cards = source_cards_html(hostile)
    page = _Page(cards)
    assert not {"script", "img", "a", "i", "b"} & set(page.tags)
    assert [name for name, _ in page.attrs if name.startswith("on")] == ["onclick"] * len(hostile.citations)
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in cards
    assert "[提案公开](http://example.com/x)" in page.marks[0]
    assert "盱眙县政协2024年&lt;i&gt;工作报告&lt;/i&gt;" in cards


def test_hostile_report_is_plain_text_in_chat_markdown(hostile):
    markdown = answer_markdown(hostile)
    rendered = commonmark.render(markdown)
    assert not re.search(r"<(a|img|script|i|b)[\s>]", rendered)
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert '详见[提案公开](http://example.com/x)<img src=x onerror="window.__xss=1">。[1]' in shown
    assert "《盱眙县政协2024年<i>工作报告</i>》" in shown


@given(st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=1, max_size=60))
def test_markdown_text_renders_as_itself(text):
    assert commonmark.renderInline(markdown_text(text)) == html.escape(text, quote=True).replace("&#x27;", "'")


def test_status_markdown_reports_the_index(data_assistant):
    status = data_assistant.status()
    shown = _visible_text(status_markdown(status))
    assert f"报告：{status.reports} 份（{status.chunks} 个段落）" in shown
    assert "回答方式：摘录原文" in shown and "检索：语义向量 + 关键词" in shown and "嵌入模型：多语言 E5（内置）" in shown
    assert "索引建立：" in shown and "（北京时间）" in shown
    assert not re.findall(r"[A-Za-z]{2,}", shown), "plain Chinese: no 'extractive', 'flat-ip', 'BM25', model ids"


def test_upload_failure_names_the_file_not_the_server_path(tmp_path, data_workspace, data_retriever):
    corpus, index = data_workspace
    blob = tmp_path / "blob.txt"
    blob.write_bytes(bytes(range(256)) * 50)
    with pytest.raises(BadDocument) as caught:
        Assistant(corpus, index, Settings(), data_retriever).add_report(blob, "blob.txt")
    shown = _visible_text(upload_failed_markdown(str(caught.value)))
    assert shown.startswith("上传失败：blob.txt: ")
    assert str(tmp_path) not in shown and "/tmp" not in shown


def test_filter_choices_come_from_reports_toml(data_assistant):
    committees, years, reports = filter_choices(data_assistant.retriever.reports)
    assert "金湖县政协" in committees and "镇江市政协" in committees
    assert years == [2025, 2024, 2023]
    assert ("洪泽区政协《勇担新使命 攀登新高峰》（2023）", "jinhu_hongze.txt#2") in reports


def test_cards_offer_each_quote_and_the_passage_for_the_basket_by_key_only(data_assistant):
    answer = data_assistant.ask("各地政协提案办理情况如何？")
    page = _Page(source_cards_html(answer))
    keys = [value for name, value in page.attrs if name == "data-basket"]
    expected = [f"{q_chunk.doc}@{q.start}-{q.end}" for c in answer.citations for q_chunk in [c.chunk]
                for q in sorted((q for q in answer.quotes if q.citation == c.number), key=lambda q: q.start)]
    passages = [f"{c.chunk.doc}@{c.chunk.start}-{c.chunk.end}" for c in answer.citations]
    assert sorted(keys) == sorted(expected + passages) and len(keys) == len(set(keys))
    assert "加入素材篮" in source_cards_html(answer) and "加入整段" in source_cards_html(answer)
    related = data_assistant.ask("盱眙县政协立案提案多少件？")
    # "可能相关" passages are no answer, but each can go into the basket whole (rag.basket.answer_excerpts).
    related_keys = [value for name, value in _Page(source_cards_html(related)).attrs if name == "data-basket"]
    assert related_keys == [f"{h.chunk.doc}@{h.chunk.start}-{h.chunk.end}" for h in related.related] and related_keys
    assert "加入整段" in source_cards_html(related) and "加入素材篮·" not in source_cards_html(related)


def test_the_draft_view_keeps_the_writer_s_words_apart_and_copies_the_draft_as_plain_text(data_assistant):
    from rag.basket import Basket, BasketItem, answer_excerpts
    from rag.draft import draft_text

    item = BasketItem.from_excerpt(answer_excerpts(data_assistant.ask("金湖县政协提案立案多少件？"))[0])
    basket = Basket().add(item).write("heading", "一、提案工作").write("text", "我写的一段。")
    markup = basket_html(basket)
    rows = {re.search(r'class="rag-item ([\w-]+)"', row).group(1): row for row in markup.split("<li ")[1:]}
    assert set(rows) == {"rag-quote", "rag-heading", "rag-own"}
    # A quote is shown, not editable: no box holds its text; own text is in a box of its own, marked as such.
    assert "rag-edit" not in rows["rag-quote"] and f'<p class="rag-item-text">{html.escape(item.text)}</p>' in rows["rag-quote"]
    assert "我写的一段。</textarea>" in rows["rag-own"] and "不是引文" in rows["rag-own"]
    # 移到: the lead and each heading; a heading moves with its section, so it has no menu.
    assert 'value="lead"' in rows["rag-quote"] and 'value="heading:1"' in rows["rag-own"] and "rag-move" not in rows["rag-heading"]
    copies = [value for name, value in _Page(markup).attrs if name == "data-copy"]
    assert copies == [draft_text(basket)] and "讲稿：1 段引文 · 1 个小标题 · 1 段自拟文字" in markup
    assert "（据繁体原文转换）" not in copies[0]


def test_hostile_report_is_inert_in_basket_and_overview(hostile, tmp_path):
    from rag.basket import Basket, BasketItem, answer_excerpts
    from rag.overview import Overview, Row, theme_for

    excerpts = answer_excerpts(hostile)
    basket = Basket(tuple(BasketItem.from_excerpt(e, note='<img src=x onerror="window.__xss=4">') for e in excerpts))
    basket = basket.write("heading", '<b onclick="window.__xss=5">一、</b>').write("text", "</textarea><script>window.__xss=6</script>")
    row = Row(excerpts[0].chunk.short_name, excerpts[0].chunk.committee, (), tuple(excerpts[:1]), tuple(excerpts[1:]))
    for markup in (basket_html(basket), overview_html(Overview(theme_for("提案"), "overview", (row,)))):
        page = _Page(markup)
        assert set(page.tags) <= {
            "div", "span", "b", "br", "ol", "li", "p", "textarea", "button", "select", "option", "table", "tr", "th", "td", "a",
        }
        assert all(value.startswith("#rag-ov-src-") for name, value in page.attrs if name == "href")  # only our [n] links
        assert not [name for name, _ in page.attrs if name.startswith("on")]
        assert "&lt;img src=x onerror=" in markup


def test_a_passage_read_by_ocr_says_so_and_underlines_its_doubtful_lines():
    from rag.records import Answer, Chunk, Citation, Quote

    text = "县政协十一届二次会议提案立案159件。办结率和满意率均为100%。"
    doubtful_line = text.index("办结率")
    chunk = Chunk(
        chunk_id="c", report_id="scan.pdf", doc="scan.pdf", committee="政协淮安市金湖县委员会", short_name="金湖县政协",
        title="题目", year=2023, kind="", headings=("提案工作",), paragraph=2, start=500, end=500 + len(text), text=text,
        pages=(2,), ocr_confidence=0.71, ocr_doubtful=((500 + doubtful_line, 500 + len(text)),),
    )
    quote = Quote(text=text[:doubtful_line], start=500, end=500 + doubtful_line, citation=1)
    answer = Answer(question="q", standalone="q", text="", quotes=(quote,), citations=(Citation(1, chunk, 1.0),), abstained=False)
    cards = source_cards_html(answer)
    assert "OCR识别，请以原件为准（最低置信度 0.71）" in cards
    assert "第2页" in cards
    assert re.search(r'<span class="rag-doubtful"[^>]*>办结率和满意率均为100%。</span>', cards)
    assert "<mark>县政协十一届二次会议提案立案159件。</mark>" in cards


def test_a_card_from_a_plan_section_says_it_is_a_plan(data_assistant):
    """The report's year on a card says when it was written; the tag says the passage is a plan (rag.period)."""
    heads = re.findall(r'<div class="rag-card-head">(.*?)</div>', source_cards_html(data_assistant.ask("姜堰区政协2025年如何优化委员服务管理？")))
    assert heads and all(head.endswith('<span class="rag-plan" title="出自工作安排或谋划：是计划，不是已完成的工作">2025年计划</span>') for head in heads)
    assert "· 2024年" in heads[0]  # the report's year stays: a 2024 report's 2025 plan
    done = source_cards_html(data_assistant.ask("金湖县政协提案立案多少件？"))
    assert "rag-plan" not in done and "· 2023年</div>" in done
