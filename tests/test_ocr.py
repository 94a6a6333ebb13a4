"""Scans and photos read by OCR (rag.readers.ocr), on tests/files/scans/ from scripts/make_scans.py --small.

Four pages, a short one and a Traditional A5 page are OCR'd in all, each once (the upside-down one twice, and the short
one again in the PyMuPDF lock test's own cache): the tests of this file share one cache. The rules that set OCR's misreadings right (rag.readers.ocr_lines,
rag.readers.ocr_decode) are also tried on boxes and scores made here, as the engine gives them.
"""

import re
import sys
import threading
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest

from rag.errors import BadDocument
from rag.readers import read_document
from rag.readers.ocr import ocr_pdf_pages
from rag.readers.ocr_decode import Decoder
from rag.readers.ocr_lines import Box, as_printed
from rag.readers.ocr_script import in_document_script
from rag.readers.pdf import PYMUPDF_LOCK

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SCANS = REPO / "tests" / "files" / "scans"
sys.path.insert(0, str(REPO / "scripts"))
from make_scans import char_accuracy, fold  # noqa: E402 - the scorer of bench/ocr.py, not library code

rapidocr = pytest.importorskip("rapidocr_onnxruntime", reason="OCR needs rapidocr-onnxruntime")
pytestmark = pytest.mark.slow  # seconds a page on 2 cores

JIANGYAN = (DATA / "jiangyan.txt").read_text(encoding="utf-8")
JINHU = (DATA / "jinhu_hongze.txt").read_text(encoding="utf-8")
PAIRED = set(",，;；:：(（)）")  # marks printed either half-width or full-width


@pytest.fixture(scope="session")
def ocr_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ocr-cache")


@pytest.fixture(autouse=True)
def shared_cache(ocr_cache, monkeypatch):
    monkeypatch.setenv("RAG_OCR_CACHE", str(ocr_cache))


def _engine_fails(monkeypatch):
    """RapidOCR (the outside world here) raises if it is asked to read anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("OCR ran although the page was cached")

    monkeypatch.setattr(rapidocr.RapidOCR, "__call__", refuse)


def test_scanned_page_reads_as_its_source():
    [page] = ocr_pdf_pages(SCANS / "jiangyan.pdf", [1])
    read = "\n".join(line.text for line in page.lines)
    assert char_accuracy(read, JIANGYAN) >= 0.98
    assert all(0 < line.confidence <= 1 and line.size == 0 for line in page.lines)
    assert 590 < page.width < 600 and 835 < page.height < 845  # A4 in points, as the PDF says


def test_tilted_blurred_scan_reads_line_by_line_in_order():
    [page] = ocr_pdf_pages(SCANS / "jiangyan.pdf", [1])
    body = [line for line in page.lines if line.x1 - line.x0 > page.width / 2]
    # Straightened: a line of a page turned by a degree would otherwise overlap the next one.
    assert all(b.top >= a.bottom - 2 for a, b in zip(body, body[1:]))
    read = fold("".join(line.text for line in page.lines))
    openings = [fold(paragraph)[:8] for paragraph in JIANGYAN.splitlines() if paragraph.strip()]
    positions = [read.find(opening) for opening in openings]
    assert sum(p >= 0 for p in positions) >= len(openings) - 1
    found = [p for p in positions if p >= 0]
    assert found == sorted(found)


def test_scanned_pdf_is_a_document_with_ocr_lines():
    document = read_document(SCANS / "jiangyan.pdf")
    assert char_accuracy(document.text, JIANGYAN) >= 0.98
    assert document.page_starts == (0,)
    assert document.ocr_lines and all(0 < line.confidence <= 1 for line in document.ocr_lines)
    assert all(document.text[line.start : line.end].strip() for line in document.ocr_lines)
    first_heading = document.text.index("一、把牢履职方向")
    assert document.ocr_confidence(first_heading, first_heading + 5) > 0.8


def test_second_read_comes_from_the_cache(ocr_cache, monkeypatch):
    first = read_document(SCANS / "jiangyan.pdf")
    assert list(ocr_cache.rglob("*-p1.json"))
    _engine_fails(monkeypatch)
    assert read_document(SCANS / "jiangyan.pdf") == first


def test_photo_of_a_page_is_read():
    document = read_document(SCANS / "jinhu_hongze_photo.png")
    # The photo shows the first page: 金湖县政协's part and the start of 洪泽区政协's.
    assert char_accuracy(document.text, JINHU[: JINHU.index("洪泽区政协")]) >= 0.97
    assert document.page_starts == (0,)
    assert document.ocr_lines


def test_page_photographed_upside_down_reads_the_right_way_up(tmp_path):
    from PIL import Image

    upside_down = tmp_path / "upside_down.png"
    Image.open(SCANS / "jinhu_hongze_photo.png").rotate(180).save(upside_down)
    document = read_document(upside_down)
    assert char_accuracy(document.text, JINHU[: JINHU.index("洪泽区政协")]) >= 0.97


def test_pdf_of_text_pages_and_a_scanned_page_is_one_document():
    document = read_document(SCANS / "jinhu_hongze_mixed.pdf")
    assert len(document.page_starts) == 3
    start, end = document.page_starts[1], document.page_starts[2]
    assert "踔厉奋发担使命" in document.text[:start] and "一线助治理" in fold(document.text[start:end])
    assert "台华新材" in document.text[end:]
    assert document.ocr_lines and all(start <= line.start < line.end <= end for line in document.ocr_lines)
    assert char_accuracy(document.text, JINHU) >= 0.97


def test_corrupt_image_is_a_bad_document(tmp_path):
    cut = tmp_path / "cut.png"
    cut.write_bytes((SCANS / "jinhu_hongze_photo.png").read_bytes()[:4000])
    with pytest.raises(BadDocument, match=r"cut\.png: not a readable image"):
        read_document(cut)
    noise = tmp_path / "noise.jpg"
    noise.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    with pytest.raises(BadDocument, match=r"noise\.jpg: not a readable image"):
        read_document(noise)


def test_missing_ocr_package_names_it(tmp_path, monkeypatch):
    from rag.readers import ocr

    monkeypatch.setenv("RAG_OCR_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # as if it were not installed
    ocr._engine.cache_clear()
    try:
        with pytest.raises(BadDocument, match=r"jinhu_hongze_photo\.png: .*pip install rapidocr-onnxruntime"):
            read_document(SCANS / "jinhu_hongze_photo.png")
    finally:
        ocr._engine.cache_clear()


def _marks(text: str) -> str:
    return "".join(char for char in text if char in PAIRED)


def test_punctuation_is_read_in_the_width_it_is_printed():
    """jiangyan.pdf prints the report's ", ; ( )" as narrow glyphs after Chinese text; jiangyan_fullwidth.pdf
    prints the same paragraphs with "，；（）". The recogniser reads both alike; their widths tell them apart."""
    from make_scans import FULL_WIDTH_PARAGRAPHS, full_width

    narrow = read_document(SCANS / "jiangyan.pdf").text
    assert SequenceMatcher(None, _marks(narrow), _marks(JIANGYAN), autojunk=False).ratio() >= 0.9
    assert narrow.count("，") <= 1 and "（" not in narrow
    source = full_width("\n".join([line for line in JIANGYAN.splitlines() if line.strip()][:FULL_WIDTH_PARAGRAPHS]))
    wide = read_document(SCANS / "jiangyan_fullwidth.pdf").text
    assert char_accuracy(wide, source) >= 0.97
    assert SequenceMatcher(None, _marks(wide), _marks(source), autojunk=False).ratio() >= 0.9
    assert wide.count(",") <= 1 and "(" not in wide


@pytest.mark.parametrize("name", ["jiangyan.pdf", "jiangyan_fullwidth.pdf", "jinhu_hongze_photo.png"])
def test_a_one_page_scan_or_photo_keeps_no_browser_header_or_footer(name):
    """One page: no other page repeats the header. The page title is small type above the text (a
    Latin one too, "jiangyan_fullwidth"); the date, URL ("fil://" as read) and page number look like furniture."""
    text = read_document(SCANS / name).text
    assert not re.search(r"\d+/\d+|\d:\d\d|fi\w*:|\.html|fullwidth", text), text[:80]
    assert text.count("工作报告") <= 1  # the title once, not its copy in the header


def _printed(*runs: tuple) -> Box:
    """A box as the recogniser reads a printed line: each run (text, width[, at]) of characters
    `width` ems wide, each read at its middle or `at` ems into it."""
    chars, places, x = [], [], 0.0
    for text, width, *at in runs:
        for char in text:
            chars.append(char)
            places.append(x + (at[0] if at else width / 2))
            x += width
    return Box(((0, 0), (x * 16, 0), (x * 16, 16), (0, 16)), "".join(chars), 0.99, tuple(p / x for p in places))


def test_a_mark_takes_the_form_of_its_printed_width():
    narrow = _printed(("提案立案", 1), ("159", 0.55), ("件", 1), ("，", 0.3), ("办结率和满意率均为", 1))
    wide = _printed(("提案立案", 1), ("159", 0.55), ("件", 1), ("，", 1), ("办结率和满意率均为", 1))
    read_ascii = _printed(("学习", 1), ("(", 1), ("扩大", 1), (")", 1), ("会", 1), ("16", 0.55), ("次", 1), (";", 1), ("举办讲堂", 1))
    [narrow, wide, read_ascii] = as_printed([narrow, wide, read_ascii])
    assert narrow.text == "提案立案159件,办结率和满意率均为"
    assert wide.text == "提案立案159件，办结率和满意率均为"
    assert read_ascii.text == "学习（扩大）会16次；举办讲堂"


def test_a_mark_that_cannot_be_measured_follows_the_page():
    """At a line's end nothing follows a mark to measure it by; the page's other marks show the style."""
    line_end = _printed(("召开区政协党组会议", 1), ("，", 1))
    for width, mark in ((0.3, ","), (1.0, "，")):
        body = [_printed(("政协委员", 1), ("，", width), ("深入学习", 1), ("，", width), ("服务大局", 1)) for _ in range(2)]
        assert as_printed([*body, line_end])[-1].text == "召开区政协党组会议" + mark
    assert as_printed([line_end])[0].text == "召开区政协党组会议，"  # no habit to follow: as read


def test_marks_between_latin_letters_or_digits_are_left_alone():
    box = _printed(("时间", 1), ("8:30", 0.55), ("，", 0.3), ("金额", 1), ("1,000", 0.55), ("元整理", 1))
    assert as_printed([box])[0].text == "时间8:30,金额1,000元整理"


def test_a_dash_two_characters_wide_read_as_one_is_a_dash():
    dash = _printed(("编辑出版", 1), ("《", 1), ("烛映姜城", 1), ("一", 2), ("姜堰名师风采录", 1))
    one = _printed(("坚持党的领导", 1), ("、", 1), ("统", 1), ("一", 1), ("战线", 1))
    heading = _printed(("一", 2, 0.5), ("镇江市政协履职工作综述", 1))  # a dash is read about half an em into it
    assert [box.text for box in as_printed([dash, one, heading])] == [
        "编辑出版《烛映姜城——姜堰名师风采录", "坚持党的领导、统一战线", "——镇江市政协履职工作综述",
    ]


CHARACTERS = ["blank", *"联合大学江成立一", " "]


def _scores(columns: list[dict[str, float]]) -> np.ndarray:
    """The recogniser's output for one line: for each column, the score of each class; blank gets the rest."""
    scores = np.zeros((1, len(columns), len(CHARACTERS)), dtype=np.float32)
    for n, column in enumerate(columns):
        for char, score in column.items():
            scores[0, n, CHARACTERS.index(char)] = score
        scores[0, n, 0] = 1.0 - sum(column.values())
    return scores


def _line(text: str, step: int = 5, gaps: dict[int, dict[str, float]] | None = None) -> list[dict[str, float]]:
    """Columns for `text`, one character every `step` columns; `gaps[n]` is put in the column after character n."""
    columns: list[dict[str, float]] = []
    for n, char in enumerate(text):
        columns.append({} if char == "_" else {char: 0.97})
        columns.extend({} for _ in range(step - 1))
        if gaps and n in gaps:
            columns[-2] = gaps[n]
    return columns


def test_a_character_scored_below_blank_between_two_read_ones_is_read():
    decode = Decoder(CHARACTERS)
    # 大学[联]合成立: "联" scored 0.38 against blank's 0.62, where a character is missing.
    [(text, score, (places, runners))] = decode(_scores(_line("江大学_合成立", gaps={3: {"联": 0.38}})), return_word_box=True)
    assert text == "江大学联合成立" and len(places) == len(text) and places == sorted(places)
    assert len(runners) == len(text)
    assert 0.8 < score < 0.97  # the doubtful character lowers the line's score
    [(text, _)] = decode(_scores(_line("江大学_合成立", gaps={3: {"联": 0.1}})))  # too doubtful
    assert text == "江大学合成立"
    # A repeat of a neighbour is no second character: CTC reads one only across a blank.
    [(text, _)] = decode(_scores(_line("江大学_合成立", gaps={3: {"学": 0.38}})))
    assert text == "江大学合成立"


def test_pages_are_rendered_under_the_pymupdf_lock(tmp_path, monkeypatch):
    """PyMuPDF is not thread-safe: another thread holding the lock keeps OCR from rendering."""
    monkeypatch.setenv("RAG_OCR_CACHE", str(tmp_path / "cache"))
    read: list = []
    with PYMUPDF_LOCK:
        worker = threading.Thread(target=lambda: read.extend(ocr_pdf_pages(SCANS / "jiangyan_fullwidth.pdf", [1])))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and not read
    worker.join(timeout=120)
    assert len(read) == 1 and read[0].lines


def _read_with_gap(*runs: tuple) -> Box:
    """A printed line whose "_" the recogniser dropped: its place stays empty, as a gap of one character."""
    box = _printed(*runs)
    kept = [i for i, char in enumerate(box.text) if char != "_"]
    return Box(box.corners, "".join(box.text[i] for i in kept), box.score, tuple(box.places[i] for i in kept))


def test_a_traditional_document_is_written_in_traditional_characters_as_printed():
    """What the recogniser read as Simplified goes back to Traditional over the whole document, a
    short last page too; characters that Traditional text also writes (周, 干) stay as read."""
    page = [_printed(("鎮江市政協堅持守正創新,推进19个創新项目,每周實干", 1))]
    last = [_printed(("编辑:薛海春", 1))]  # nothing on it says Traditional
    [[first], [edited]] = in_document_script([page, last])
    assert first.text == "鎮江市政協堅持守正創新,推進19個創新項目,每周實干"
    assert edited.text == "編輯:薛海春"


def test_a_simplified_document_stays_as_read():
    pages = [[_printed(("镇江市政协坚持守正创新,推进19个创新项目", 1))], [_printed(("编辑:薛海春", 1))]]
    assert in_document_script(pages) == pages


def test_a_character_dropped_on_a_traditional_page_is_filled_where_the_words_agree():
    """PP-OCRv4 cannot read 議; it leaves a gap of one character between the two it read."""
    doubtful = _read_with_gap(("開展委員_會", 1))  # 委員?會: no character is clearly likeliest
    [[filled, left]] = in_document_script([[_read_with_gap(("鎮江市政協開展協商_事活動", 1)), doubtful]])
    assert filled.text == "鎮江市政協開展協商議事活動"
    assert left.text == "開展委員會"
    assert len(filled.places) == len(filled.text) and list(filled.places) == sorted(filled.places)


def test_a_traditional_scan_reads_as_traditional():
    """The last paragraphs of the Traditional report on one A5 page; its running head and foot dropped."""
    truth = "\n".join([line for line in (DATA / "zhenjiang.txt").read_text(encoding="utf-8").splitlines() if line.strip()][-4:])
    document = read_document(SCANS / "zhenjiang_tail.pdf")
    assert "編輯:薛海春" in document.text
    assert char_accuracy(document.text, truth) >= 0.95


def test_on_a_traditional_page_the_runner_up_is_read_where_the_words_prefer_it():
    """PP-OCRv4 reads 兩 as 雨 (兩 next at 0.48) and 責 as 青 (责 next at 0.31); 青 of 青年 stays."""

    def read(text, runners):
        box = _printed((text, 1))
        return Box(box.corners, box.text, box.score, box.places, tuple(runners.get(i, ("", 0.0)) for i in range(len(text))))

    pages = [[
        read("鎮江市政協堅決做到雨個維護", {9: ("兩", 0.48)}),
        read("委員履職盡青,聯系青年委員", {5: ("责", 0.31), 9: ("责", 0.31)}),
    ]]
    [[first, second]] = in_document_script(pages)
    assert first.text == "鎮江市政協堅決做到兩個維護"
    assert second.text == "委員履職盡責,聯系青年委員"


def test_on_a_traditional_page_a_look_alike_the_recogniser_reads_for_a_character_it_lacks_is_set_right():
    """PP-OCRv4 has no 黨 and reads it as 黛 (scripts/make_lookalikes.py asked it); 黨組 is what
    the words around want, while 黛 in 粉黛 stays. Without a runner-up, the table alone decides."""
    from rag.readers.ocr_script import lookalikes

    assert "黨" in lookalikes()["黛"]
    pages = [[_printed(("鎮江市政協黛組理論學習中心組", 1)), _printed(("鎮江市政協書畫展粉黛飄香", 1))]]
    [[party, painting]] = in_document_script(pages)
    assert party.text.startswith("鎮江市政協黨組")
    assert "粉黛" in painting.text


def test_on_a_traditional_page_a_rare_big5_reading_goes_back_to_its_common_form():
    """党 is in Big5 only as a rare surname: read on a Traditional page it is 黨; 周 and 干 stay as read."""
    [[box]] = in_document_script([[_printed(("鎮江市政協党組每周實干", 1))]])
    assert box.text == "鎮江市政協黨組每周實干"
