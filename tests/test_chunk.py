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
