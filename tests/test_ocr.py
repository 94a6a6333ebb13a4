"""Scans and photos read by OCR (rag.readers.ocr), on tests/files/scans/ from scripts/make_scans.py --small.

Four pages are OCR'd in all, each once (the upside-down one twice): the tests of this file share
one cache.
"""

import sys
from pathlib import Path

import pytest

from rag.errors import BadDocument
from rag.readers import read_document
from rag.readers.ocr import ocr_pdf_pages

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SCANS = REPO / "tests" / "files" / "scans"
sys.path.insert(0, str(REPO / "scripts"))
from make_scans import char_accuracy, fold  # noqa: E402 - the scorer of bench/ocr.py, not library code

rapidocr = pytest.importorskip("rapidocr_onnxruntime", reason="OCR needs rapidocr-onnxruntime")
pytestmark = pytest.mark.slow  # seconds a page on 2 cores

JIANGYAN = (DATA / "jiangyan.txt").read_text(encoding="utf-8")
JINHU = (DATA / "jinhu_hongze.txt").read_text(encoding="utf-8")


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
