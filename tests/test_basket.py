"""rag.basket on real answers over tests/data: exports hold the exact quotes, figures and sources; the browser's copy is checked against the index."""

import io
import re
from pathlib import Path

import pytest
from docx import Document
from markdown_it import MarkdownIt

from rag.basket import MAX_ITEMS, Basket, BasketFull, BasketItem, answer_excerpts, basket_key
from rag.excerpts import ExcerptSource
from rag.readers import read_text

DATA = Path(__file__).resolve().parent / "data"
JINHU = "县政协十一届二次会议提案立案159件,办结率和满意率均为100%。"
ZHENJIANG_FIGURES = ("滿意率保持100%", "解決率76.5%")


@pytest.fixture(scope="module")
def source(data_retriever):
    return ExcerptSource(data_retriever.index.chunks)


@pytest.fixture(scope="module")
def quotes(data_assistant):
    """Two quotes as the app offers them: the first quoted sentence of two real answers."""
    jinhu = answer_excerpts(data_assistant.ask("金湖县政协提案立案多少件？"))[0]
    zhenjiang = answer_excerpts(data_assistant.ask("镇江市政协提案办理满意率和解决率是多少？"))[0]
    return BasketItem.from_excerpt(jinhu), BasketItem.from_excerpt(zhenjiang)


@pytest.fixture
def basket(quotes):
    jinhu, zhenjiang = quotes
    return Basket().add(jinhu).add(zhenjiang).annotate(zhenjiang.key, "用于第二部分：协商成果转化")


def test_offered_quotes_are_exact_slices_with_their_sources(quotes):
    jinhu, zhenjiang = quotes
    assert jinhu.text == JINHU and jinhu.short_name == "金湖县政协" and jinhu.year == 2023
    assert all(figure in zhenjiang.text for figure in ZHENJIANG_FIGURES) and zhenjiang.committee == "政协镇江市委员会"
    for item in quotes:
        assert read_text(DATA / item.doc)[item.start : item.end] == item.text
        assert item.headings and item.paragraph >= 1 and item.key == basket_key(item.doc, item.start, item.end)


def test_answer_offers_each_quote_and_each_cited_passage(data_assistant):
    answer = data_assistant.ask("各地政协提案办理情况如何？")
    excerpts = answer_excerpts(answer)
    assert [e.text for e in excerpts[: len(answer.quotes)]] == [q.text for q in answer.quotes]
    assert [e.text for e in excerpts[len(answer.quotes) :]] == [c.chunk.text for c in answer.citations]


def test_docx_export_holds_quotes_figures_source_lines_and_sources(basket, quotes):
    jinhu, zhenjiang = quotes
    document = Document(io.BytesIO(basket.to_docx()))
    paragraphs = [p.text for p in document.paragraphs]
    # Each quote is a paragraph of its own, exactly as in the report, followed by its source line.
    at = paragraphs.index(jinhu.text)
    assert paragraphs[at + 1] == (
        "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），"
        "服务中心大局 在助力高质量发展上勇担当、建真言（围绕重点工作建言献策，第1段）"
    )
    at = paragraphs.index(zhenjiang.text)
    assert paragraphs[at + 1].startswith("——政协镇江市委员会《奮力實干擔當 書寫精彩答卷——鎮江市政協2024年履職工作綜述》（2024年），")
    assert paragraphs[at + 2] == "备注：用于第二部分：协商成果转化"
    assert paragraphs.index(jinhu.text) < paragraphs.index(zhenjiang.text)
    text = "\n".join(paragraphs)
    assert "159件" in text and "100%" in text and all(figure in text for figure in ZHENJIANG_FIGURES)
    sources = paragraphs[paragraphs.index("来源") + 1 :]
    assert sources == [
        "政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年）：第1段（文件 jinhu_hongze.txt）",
        f"政协镇江市委员会《奮力實干擔當 書寫精彩答卷——鎮江市政協2024年履職工作綜述》（2024年）：第{zhenjiang.paragraph}段（文件 zhenjiang.txt）",
    ]
    assert document.paragraphs[paragraphs.index(jinhu.text)].style.name == "List Number"


def test_markdown_export_holds_quotes_verbatim_with_sources(basket, quotes):
    jinhu, zhenjiang = quotes
    markdown = basket.to_markdown()
    # Figures and "." survive unescaped in the raw file: what a reader copies is the report's text.
    assert f"1. {jinhu.text}\n" in markdown and f"2. {zhenjiang.text}\n" in markdown
    assert "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年）" in markdown
    assert "备注：用于第二部分：协商成果转化" in markdown
    assert markdown.index("## 来源") > markdown.index(zhenjiang.text)
    assert "jinhu\\_hongze.txt" in markdown and "zhenjiang.txt" in markdown
    rendered = MarkdownIt("commonmark").render(markdown)
    assert JINHU in rendered and "76.5%" in rendered and "<ol>" in rendered


def test_markdown_export_keeps_report_markup_inert_and_figures_raw(quotes):
    hostile = BasketItem(
        text='详见[提案公开](http://example.com/x)<img src=x onerror="alert(1)">，*立案*136件，增长1.5万，76.5%。',
        doc="x.txt", report_id="x.txt", committee="盱眙县政协", short_name="盱眙县政协", title="<b>报告</b>",
        year=2024, headings=("一、提案",), paragraph=1, start=0, end=10, note="1. 不是列表",
    )
    markdown = Basket((hostile,)).to_markdown()
    rendered = MarkdownIt("commonmark").render(markdown)
    assert not re.search(r"<(a|img|b|em)[\s>]", rendered)
    assert "136件" in markdown and "1.5万" in markdown and "76.5%" in markdown


def test_reorder_remove_annotate_and_dedupe(quotes, source):
    jinhu, zhenjiang = quotes
    third = BasketItem.from_excerpt(source.sentences("haian.md")[5])
    basket = Basket().add(jinhu).add(zhenjiang).add(third)
    assert basket.add(jinhu) is basket and len(basket) == 3
    assert [i.key for i in basket.move(third.key, -1).items] == [jinhu.key, third.key, zhenjiang.key]
    assert [i.key for i in basket.move(jinhu.key, -1).items] == [jinhu.key, zhenjiang.key, third.key]
    assert [i.key for i in basket.move(jinhu.key, 5).items] == [zhenjiang.key, third.key, jinhu.key]
    assert [i.key for i in basket.remove(zhenjiang.key).items] == [jinhu.key, third.key]
    noted = basket.annotate(third.key, "  结尾用\x07  ")
    assert noted.find(third.key).note == "结尾用" and noted.find(third.key).text == third.text
    assert len(basket.annotate(jinhu.key, "长" * 2000).find(jinhu.key).note) == 500
    assert basket.remove("no-such-key") == basket and basket.move("no-such-key", 1) == basket


def test_json_round_trip(basket):
    assert Basket.from_json(basket.to_json()) == basket
    with pytest.raises(ValueError, match="start"):
        Basket.from_json([{**basket.to_json()[0], "start": "894"}])


def test_restore_rebuilds_items_from_the_index_and_keeps_notes(basket, source):
    stored = basket.to_json()
    stored[0]["committee"] = "伪造的委员会"  # metadata from the browser is never used
    restored, dropped = Basket.restore(stored, source)
    assert dropped == 0 and restored == basket
    assert restored.items[1].note == "用于第二部分：协商成果转化"


def test_restore_drops_what_the_library_never_handed_out(basket, source, quotes):
    jinhu, _ = quotes
    good = basket.to_json()[0]
    tampered = [
        {**good, "text": good["text"].replace("159", "169")},  # text that is not the report's
        {**good, "end": good["end"] - 20, "text": read_text(DATA / jinhu.doc)[jinhu.start : jinhu.end - 20]},  # a figure cut off
        {**good, "doc": "../../etc/passwd"},
        {**good, "start": "894"},
        "not an item",
        good,
        good,  # the same quote twice is kept once
    ]
    restored, dropped = Basket.restore(tampered, source)
    assert [item.key for item in restored.items] == [jinhu.key] and dropped == 5
    assert Basket.restore({"items": []}, source) == (Basket(), 0)
    assert Basket.restore(None, source) == (Basket(), 0)


def test_restore_accepts_whole_passages_and_overview_sentences(data_retriever, source):
    chunk = next(c for c in data_retriever.index.chunks if "走访12个住宅小区" in c.text)
    whole = BasketItem.from_excerpt(source.sentences_around(chunk)[0])
    passage = BasketItem(
        text=chunk.text, doc=chunk.doc, report_id=chunk.report_id, committee=chunk.committee, short_name=chunk.short_name,
        title=chunk.title, year=chunk.year, headings=chunk.headings, paragraph=chunk.paragraph, start=chunk.start, end=chunk.end,
    )
    restored, dropped = Basket.restore(Basket((whole, passage)).to_json(), source)
    assert dropped == 0 and [i.text for i in restored.items] == [whole.text, chunk.text]


def test_basket_is_bounded(retriever):
    # tests/data holds fewer sentences than a basket does: this one needs the shipped corpus.
    source = ExcerptSource(retriever.index.chunks)
    sentences = [BasketItem.from_excerpt(e) for rid in source.report_ids() for e in source.sentences(rid)]
    assert len(sentences) > MAX_ITEMS
    basket = Basket(tuple(sentences[:MAX_ITEMS]))
    with pytest.raises(BasketFull, match=str(MAX_ITEMS)):
        basket.add(sentences[MAX_ITEMS])
    restored, dropped = Basket.restore([i.to_dict() for i in sentences[: MAX_ITEMS + 3]], source)
    assert len(restored) == MAX_ITEMS and dropped == 3


def test_write_puts_both_files_in_a_folder(basket, tmp_path):
    markdown, docx = basket.write(tmp_path / "out")
    assert markdown.name == "讲稿素材.md" and docx.name == "讲稿素材.docx"
    assert JINHU in markdown.read_text(encoding="utf-8")
    assert JINHU in [p.text for p in Document(str(docx)).paragraphs]
