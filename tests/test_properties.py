"""Properties of the loader, the normaliser, ingest and the chunker, over real report lines mixed with arbitrary text.

Hypothesis mixes lines of the reports in tests/data (Simplified and Traditional) with arbitrary
Unicode, control characters, lines without any punctuation, lines of nothing but punctuation,
very long lines and \\r\\n endings: what a scraped or badly converted report can hold.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.chunk import chunk_report
from rag.config import Settings
from rag.errors import BadDocument
from rag.ingest import split_reports
from rag.readers import SUPPORTED_SUFFIXES, read_text
from rag.records import ReportMeta
from rag.text import normalize

DATA = Path(__file__).resolve().parent / "data"
SIMPLIFIED = [
    line for name in ("jiangyan.txt", "jinhu_hongze.txt", "haian.md")
    for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()
]
TRADITIONAL = [line for line in (DATA / "zhenjiang.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
META = ReportMeta(
    file="report.txt",
    committee="政协泰州市姜堰区委员会",
    short_name="姜堰区政协",
    title="政协泰州市姜堰区委员会常务委员会工作报告(摘要)",
    year=2024,
    kind="工作报告",
)
PUNCTUATION = "，。、；：？！“”‘’（）《》【】「」—…·,.;:?!()[]-\"'>＞»　 \t"
# Control characters other than tab and newlines; the loader refuses text with more than 1% of them.
CONTROL = {chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)]}

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MANY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

real_line = st.sampled_from(SIMPLIFIED + TRADITIONAL)
# Half a Traditional line glued to half a Simplified one: a report pasted together from two sources.
mixed_scripts_line = st.tuples(st.sampled_from(TRADITIONAL), st.sampled_from(SIMPLIFIED)).map(
    lambda pair: pair[0][: len(pair[0]) // 2] + pair[1][len(pair[1]) // 2 :]
)
han = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
no_punctuation_line = st.text(alphabet=han | st.characters(categories=["Nd", "Lu", "Ll"]), min_size=1, max_size=1500)
punctuation_line = st.text(alphabet=PUNCTUATION, min_size=1, max_size=50)
control_line = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=20)
very_long_line = st.lists(real_line, min_size=3, max_size=12).map("".join)
line = st.one_of(real_line, mixed_scripts_line, st.text(), no_punctuation_line, punctuation_line, control_line, very_long_line)
document = st.tuples(st.lists(line, max_size=10), st.sampled_from(["\n", "\r\n", "\n\n", "\r\n\r\n"])).map(
    lambda parts: parts[1].join(parts[0])
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


def refusable(text: str) -> bool:
    """Blank, or control characters in it: the only text files the loader may refuse."""
    return not text.removeprefix("\ufeff").strip() or any(ch in CONTROL for ch in text)


# --- loader -------------------------------------------------------------------------------


def read_back_or_refused(scratch, text: str, encoding: str) -> str | None:
    """`text` saved in `encoding` and read by the loader; None when refused, which only refusable text may be."""
    path = scratch / "report.txt"
    path.write_bytes(text.encode(encoding))
    try:
        return read_text(path)
    except BadDocument:
        assert refusable(text)
        return None


@MANY
@given(text=st.one_of(document, st.text()))
def test_utf8_text_comes_back_exactly_or_is_refused(scratch, text):
    read = read_back_or_refused(scratch, text, "utf-8")
    # Only a leading U+FEFF goes: in UTF-8 it is the byte-order mark.
    assert read is None or read == text.removeprefix("\ufeff")


# Report text holds assigned characters: the loader takes unassigned and private-use ones for a wrong decoding.
report_text = st.tuples(
    st.lists(real_line | mixed_scripts_line, min_size=1, max_size=6),
    st.lists(st.text(st.characters(exclude_categories=("Cn", "Co", "Cs")), max_size=4), max_size=3),
    st.sampled_from(["\n", "\r\n"]),
).map(lambda parts: parts[2].join(parts[0] + parts[1]))


@MANY
@given(text=report_text)
def test_gb18030_report_text_comes_back_exactly_or_is_refused(scratch, text):
    read = read_back_or_refused(scratch, text, "gb18030")
    assert read is None or read == text


@MANY
@given(text=st.text())
def test_any_text_in_gb18030_is_read_or_refused(scratch, text):
    # A few characters give the GB18030/Big5 detector too little evidence to round-trip;
    # it must still answer with text or BadDocument, never crash.
    path = scratch / "short.txt"
    path.write_bytes(text.encode("gb18030"))
    try:
        assert isinstance(read_text(path), str)
    except BadDocument:
        pass


starts = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"PK\x03\x04", b"%PDF-1.4\n", b"<meta charset=big5><p>"])


@FEW
@given(start=starts, body=st.binary(max_size=300), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_bytes_are_read_as_text_or_refused_in_one_line(scratch, start, body, suffix):
    path = scratch / f"upload{suffix}"
    path.write_bytes(start + body)
    try:
        assert read_text(path).strip()
    except BadDocument as refused:
        assert str(refused).startswith(str(path)) and "\n" not in str(refused)


# --- normaliser ---------------------------------------------------------------------------

any_code_point = st.text(alphabet=st.characters(exclude_categories=()))  # lone surrogates included


@MANY
@given(text=st.one_of(any_code_point, document))
@example(text="\ud83d")  # the first half of 😀
@example(text="政协\udcff报告")  # the byte 0xFF of a command line, surrogate-escaped
def test_normalize_never_raises_and_is_idempotent(text):
    # A question may hold a lone surrogate: half an emoji cut by a browser, or undecodable
    # command-line bytes (Python's surrogateescape).
    normalized = normalize(text)
    assert normalize(normalized) == normalized
    assert unicodedata.normalize("NFKC", normalized) == normalized


@MANY
@given(text=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_full_width_ascii_folds_to_ascii_and_ascii_is_untouched(text):
    full_width = "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) for ch in text)
    assert normalize(text) == text
    assert normalize(full_width) == text


@MANY
@given(line=st.sampled_from(TRADITIONAL))
def test_traditional_lines_normalise_to_simplified(line):
    normalized = normalize(line)
    assert normalize(normalized) == normalized
    assert not set("鎮協會習並經這為") & set(normalized)


# --- ingest + chunker ---------------------------------------------------------------------


def check_report_and_chunks(source: str, chunk_settings: Settings) -> None:
    (report,) = split_reports("report.txt", source, [META])
    previous_end = 0
    for number, paragraph in enumerate(report.paragraphs, start=1):
        assert paragraph.number == number
        assert paragraph.text and source[paragraph.start : paragraph.end] == paragraph.text
        assert previous_end <= paragraph.start  # in file order, never overlapping
        previous_end = paragraph.end
    spans = {p.number: (p.start, p.end) for p in report.paragraphs}
    for chunk in chunk_report(report, chunk_settings):
        assert chunk.text and chunk.text == chunk.text.strip()  # "\r" of a CRLF file included
        assert source[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= chunk_settings.chunk_size
        start, end = spans[chunk.paragraph]
        assert start <= chunk.start < chunk.end <= end


@MANY
@given(source=document)
def test_chunks_are_exact_slices_inside_one_paragraph(source):
    check_report_and_chunks(source, Settings())


@FEW
@given(source=document, size=st.integers(20, 400), data=st.data())
def test_chunks_are_exact_slices_at_any_chunk_size(source, size, data):
    overlap = data.draw(st.integers(0, size - 1), label="overlap")
    check_report_and_chunks(source, Settings(chunk_size=size, chunk_overlap=overlap))
