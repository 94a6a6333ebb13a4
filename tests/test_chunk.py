"""rag.chunk on tests/data: chunks are exact slices inside one paragraph, cut at sentence ends."""

from dataclasses import replace
from pathlib import Path

import pytest

from rag.chunk import chunk_report
from rag.config import Settings
from rag.ingest import ingest_file, read_metadata
from rag.readers import read_text

DATA = Path(__file__).resolve().parent / "data"
METADATA = read_metadata(DATA)


def all_chunks(settings=Settings()):
    for name, metas in METADATA.items():
        for report in ingest_file(DATA / name, metas):
            yield report, chunk_report(report, settings)


@pytest.mark.parametrize("size,overlap", [(150, 30), (60, 10), (400, 80)])
def test_every_chunk_is_the_exact_slice_of_its_file(size, overlap):
    for report, chunks in all_chunks(replace(Settings(), chunk_size=size, chunk_overlap=overlap)):
        source = read_text(DATA / report.meta.file)  # opened afresh: what a reader checking a quote does
        for chunk in chunks:
            assert chunk.text == source[chunk.start : chunk.end]
            assert chunk.text.strip() == chunk.text and chunk.text


def test_chunks_stay_inside_one_paragraph_and_within_size():
    settings = Settings()
    for report, chunks in all_chunks(settings):
        spans = {p.number: (p.start, p.end) for p in report.paragraphs}
        for chunk in chunks:
            start, end = spans[chunk.paragraph]
            assert start <= chunk.start < chunk.end <= end
            assert len(chunk.text) <= settings.chunk_size


def test_long_paragraph_is_cut_at_sentence_ends():
    report, chunks = next((r, c) for r, c in all_chunks() if r.meta.file == "haian.md")
    long_pieces = [c for c in chunks if c.paragraph == 1]
    assert len(long_pieces) >= 3
    # Every cut is at a sentence end, or at a comma where one sentence is longer than a chunk.
    assert all(c.text[-1] in "。；，,、" for c in long_pieces)
    assert sum(c.text[-1] in "。；" for c in long_pieces) > len(long_pieces) / 2


def test_inline_enumeration_names_the_item_a_chunk_sits_in():
    report, chunks = next((r, c) for r, c in all_chunks() if r.meta.file == "haian.md")
    chunk = next(c for c in chunks if "每季度通报委员履职情况" in c.text)
    assert chunk.headings[-1] == "一是加强考核管理"
    later = next(c for c in chunks if c.text.startswith("四是广泛开展活动"))
    assert later.headings == ("三、加强委员管理,激发履职活力", "四是广泛开展活动")


def test_every_chunk_names_committee_title_year_and_section():
    for report, chunks in all_chunks():
        for chunk in chunks:
            assert chunk.committee == report.meta.committee and chunk.title and chunk.year
            assert chunk.paragraph >= 1


def test_a_sentence_is_cited_with_the_inline_item_it_stands_in():
    """A chunk holding 一是… and 二是…: a quote from the second item names 二是, not the item the chunk starts in."""
    from rag.basket import BasketItem
    from rag.chunk import item_headings
    from rag.records import Chunk, Excerpt

    text = "一是加强考核管理。每季度通报委员履职情况。二是委员知情明政。组织委员开展调查研究。"
    chunk = Chunk("c", "r", "haian.txt", "政协海安市委员会", "海安市政协", "题目", 2023, "", ("委员工作", "一是加强考核管理"),
                  3, 1000, 1000 + len(text), text)
    second = text.index("组织委员")
    assert item_headings(chunk, 1000 + second) == ("委员工作", "二是委员知情明政")
    assert item_headings(chunk, 1000 + text.index("每季度")) == chunk.headings
    item = BasketItem.from_excerpt(Excerpt("组织委员开展调查研究。", 1000 + second, 1000 + len(text), chunk))
    assert item.headings[-1] == "二是委员知情明政"
