"""rag.basket on real answers over tests/data: quotes are exact slices, the draft holds the writer's own
sections and paragraphs apart from them, and the browser's copy is checked against the index."""

from pathlib import Path

import pytest

from rag.basket import (
    HEADING, LEAD, MAX_ITEMS, MAX_OWN, OWN_TEXT, Basket, BasketFull, BasketItem, OwnBlock, answer_excerpts, basket_key,
)
from rag.errors import RagError
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


def test_an_abstention_offers_its_related_passages_whole(data_assistant, source):
    answer = data_assistant.ask("盱眙县政协立案提案多少件？")
    assert answer.abstained and answer.related
    excerpts = answer_excerpts(answer)
    assert [(e.start, e.end, e.text) for e in excerpts] == [(h.chunk.start, h.chunk.end, h.chunk.text) for h in answer.related]
    restored, dropped = Basket.restore([BasketItem.from_excerpt(e).to_dict() for e in excerpts], source)
    assert dropped == 0 and len(restored) == len(excerpts)


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


# --- the speech draft: the writer's sections and paragraphs around the quotes ---------------------


@pytest.fixture
def draft(quotes, source):
    """开头 with a quote; 一、 with own text and a quote; 二、 with a third quote."""
    jinhu, zhenjiang = quotes
    third = BasketItem.from_excerpt(source.sentences("haian.md")[5])
    return (
        Basket().add(jinhu).write(HEADING, "一、提案工作").write(OWN_TEXT, "先讲提案。\n再讲办理。").add(zhenjiang)
        .write(HEADING, "二、  委员\n履职").add(third)
    )


def _shape(basket: Basket) -> list[str]:
    return [entry.text[:6] if isinstance(entry, OwnBlock) else entry.short_name for entry in basket.entries]


def test_headings_open_sections_and_own_text_is_its_own_kind(draft, quotes):
    jinhu, zhenjiang = quotes
    lead, first, second = draft.sections()
    assert lead.heading is None and lead.key == LEAD and lead.entries == (jinhu,)
    assert first.heading.text == "一、提案工作" and [type(e) for e in first.entries] == [OwnBlock, BasketItem]
    assert first.entries[0].text == "先讲提案。\n再讲办理。" and first.entries[0].kind == OWN_TEXT
    assert second.heading.text == "二、 委员 履职"  # a heading is one line
    assert len(draft) == 3 and draft.items[1] == zhenjiang and len(draft.own) == 3
    assert [block.key for block in draft.own] == ["heading:1", "text:2", "heading:3"]
    with pytest.raises(RagError, match="小标题"):
        draft.write(HEADING, " \n\x07 ")
    with pytest.raises(ValueError, match="kind"):
        draft.write("quote", "我写的")


def test_own_text_is_edited_as_text_and_a_quote_never_is(draft, quotes):
    jinhu, _ = quotes
    edited = draft.edit("text:2", "改写后的一段，\x00含数字159件。")
    assert edited.find("text:2").text == "改写后的一段，含数字159件。" and edited.find("text:2").kind == OWN_TEXT
    assert draft.edit(jinhu.key, "伪造的引文") is draft  # a quote's text comes from the report only
    assert draft.edit("text:2", "  ") is draft and draft.edit("no-such", "x") is draft
    assert draft.annotate("text:2", "备注") == draft  # notes are for quotes


def test_reorder_within_and_between_sections(draft, quotes):
    jinhu, zhenjiang = quotes
    assert _shape(draft) == ["金湖县政协", "一、提案工作", "先讲提案。\n", "镇江市政协", "二、 委员 ", "海安市政协"]
    # One place up past a heading: the quote leaves 一、 for the section before.
    assert _shape(draft.move("text:2", -1)) == ["金湖县政协", "先讲提案。\n", "一、提案工作", "镇江市政协", "二、 委员 ", "海安市政协"]
    assert _shape(draft.move(zhenjiang.key, -1))[2:4] == ["镇江市政协", "先讲提案。\n"]
    assert draft.move(jinhu.key, -1) == draft  # already first
    # 移到: to the end of another section, the lead included.
    moved = draft.move_to(jinhu.key, "heading:3")
    assert [e.key for e in moved.sections()[2].entries][-1] == jinhu.key and moved.sections()[0].entries == ()
    assert draft.move_to(zhenjiang.key, LEAD).sections()[0].entries == (jinhu, zhenjiang)
    assert draft.move_to(jinhu.key, "heading:99") == draft and draft.move_to("heading:1", LEAD) == draft
    # A heading moves with its whole section, and never above the lead.
    assert _shape(draft.move("heading:3", -1)) == ["金湖县政协", "二、 委员 ", "海安市政协", "一、提案工作", "先讲提案。\n", "镇江市政协"]
    assert draft.move("heading:1", -1) == draft and draft.move("heading:3", 1) == draft
    # Removing a heading leaves its entries to the section before.
    assert [e.key for e in draft.remove("heading:1").sections()[0].entries] == [jinhu.key, "text:2", zhenjiang.key]


def test_the_draft_round_trips_through_json(draft):
    assert Basket.from_json(draft.to_json()) == draft
    assert [entry.get("kind", "quote") for entry in draft.to_json()] == ["quote", "heading", "text", "quote", "heading", "quote"]


def test_restore_drops_tampered_quotes_but_keeps_own_text_as_text(draft, source, quotes):
    jinhu, zhenjiang = quotes
    stored = draft.to_json()
    stored[3] = {**stored[3], "text": stored[3]["text"].replace("76.5", "96.5")}  # a figure changed in the browser
    forged = {**jinhu.to_dict(), "kind": "text", "text": "伪造：提案立案999件。"}  # own text dressed as a quote
    own_quote = {**jinhu.to_dict(), "kind": "text"}  # a real quote's span, stored as own text
    stored += [forged, own_quote, {"kind": "heading", "number": 1, "text": "\x07"}, {"kind": "heading", "number": True, "text": "三、结语"}]
    restored, dropped = Basket.restore(stored, source)
    assert dropped == 1 and zhenjiang.key not in {item.key for item in restored.items}
    assert [item.key for item in restored.items] == [jinhu.key, draft.items[2].key]
    own = restored.own
    assert [block.text for block in own] == ["一、提案工作", "先讲提案。\n再讲办理。", "二、 委员 履职", "伪造：提案立案999件。", jinhu.text, "三、结语"]
    assert [block.kind for block in own] == [HEADING, OWN_TEXT, HEADING, OWN_TEXT, OWN_TEXT, HEADING]
    assert [block.number for block in own] == [1, 2, 3, 4, 5, 6]  # renumbered: unique keys whatever came back
    assert all(isinstance(entry, (BasketItem, OwnBlock)) for entry in restored.entries)


def test_own_blocks_are_bounded(quotes):
    jinhu, _ = quotes
    full = Basket(tuple(OwnBlock(OWN_TEXT, n, f"第{n}段") for n in range(1, MAX_OWN + 1)))
    with pytest.raises(BasketFull, match=str(MAX_OWN)):
        full.write(HEADING, "再加一个")
    assert full.add(jinhu).items == (jinhu,)  # quotes are counted apart
    assert len(Basket().write(OWN_TEXT, "长" * 5000).own[0].text) == 2000


def test_undoing_a_clear_puts_the_cleared_draft_first_and_keeps_what_came_after(draft, quotes, source):
    jinhu, _ = quotes
    later = Basket().add(jinhu).add(BasketItem.from_excerpt(source.sentences("haian.md")[0])).write(OWN_TEXT, "清空后写的")
    merged = draft.merged(later)
    assert merged.entries[: len(draft.entries)] == draft.entries
    assert len(merged) == 4  # jinhu once
    assert [block.number for block in merged.own] == [1, 2, 3, 4] and merged.own[-1].text == "清空后写的"


def test_a_quote_from_a_plan_says_so_in_the_basket_and_its_export(data_retriever):
    """A 2025 target collected for a speech must not read as work done."""
    from rag.draft import draft_text
    from rag.records import Excerpt

    chunks = list(data_retriever.index.chunks)
    planned = next(c for c in chunks if c.doc == "jiangyan.txt" and "2025年工作安排" in c.headings)
    done = next(c for c in chunks if c.doc == "jiangyan.txt" and "2024年工作回顾" in c.headings)
    plan_item = BasketItem.from_excerpt(Excerpt(planned.text, planned.start, planned.end, planned))
    done_item = BasketItem.from_excerpt(Excerpt(done.text, done.start, done.end, done))
    assert plan_item.plan == "2025年计划" and done_item.plan == ""
    assert BasketItem.from_dict(plan_item.to_dict()).plan == "2025年计划"
    text = draft_text(Basket((done_item, plan_item)))
    assert text.count("（2025年计划）") == 1
