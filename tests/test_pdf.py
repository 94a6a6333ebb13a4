"""rag.readers.pdf and rag.readers.layout on real PDFs (scripts/make_documents.py --small): browser
prints with their header and footer, LibreOffice exports of an official-document layout, a page of
two columns and a part-scanned PDF. Each printed paragraph must come back as one line, in order,
without page furniture, on the page where it really stands."""

import math
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pymupdf
import pytest

from rag.errors import BadDocument
from rag.ingest import ingest_file, read_metadata
from rag.readers import read_document
from rag.readers.furniture import looks_like_furniture
from rag.readers.layout import Line, Page, rebuild

DATA = Path(__file__).resolve().parent / "data"
DOCUMENTS = DATA.parent / "files" / "documents"
METADATA = read_metadata(DATA)
SOURCES = ["jiangyan", "jinhu_hongze", "zhenjiang"]
PRINTED = [f"{stem}.{kind}.pdf" for stem in SOURCES for kind in ("chromium", "office")]
FURNITURE = re.compile(r"file://|\d+/\d+|— ?\d+ ?—|\d{1,2}:\d{2}|第\s*\d+\s*页")
CJK = re.compile(r"[\u4e00-\u9fff]")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def source_paragraphs(stem: str) -> list[str]:
    return [squeezed(line) for line in (DATA / f"{stem}.txt").read_text(encoding="utf-8").splitlines() if line.strip()]


def read_paragraphs(name: str) -> list[str]:
    return [squeezed(line) for line in read_document(DOCUMENTS / name).text.split("\n")]


def pdftotext(path: Path, page: int) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    run = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(path), "-"], capture_output=True, text=True, check=True)
    return run.stdout


@pytest.mark.parametrize("name", PRINTED)
def test_every_paragraph_comes_back_as_one_line_in_order(name):
    assert read_paragraphs(name) == source_paragraphs(name.split(".")[0])


@pytest.mark.parametrize("name", PRINTED)
def test_no_header_footer_page_number_url_or_print_date(name):
    path = DOCUMENTS / name
    pages = pymupdf.open(path).page_count
    printed = "".join(pdftotext(path, n) for n in range(1, pages + 1))
    assert pages >= 2 and FURNITURE.search(printed), "the fixture should have furniture to drop"
    text = read_document(path).text
    assert [line for line in text.split("\n") if FURNITURE.search(line)] == []


def test_fixtures_carry_paragraphs_across_page_breaks():
    crossing = 0
    for name in PRINTED:
        document = read_document(DOCUMENTS / name)
        crossing += sum(len(document.pages(s, e)) == 2 for s, e in _spans(document.text))
    assert crossing >= 3


@pytest.mark.parametrize("name", PRINTED)
def test_pages_of_a_paragraph_are_where_it_is_printed(name):
    path = DOCUMENTS / name
    document = read_document(path)
    assert len(document.page_starts) == pymupdf.open(path).page_count
    printed = {n: "".join(CJK.findall(pdftotext(path, n))) for n in range(1, len(document.page_starts) + 1)}
    for start, end in _spans(document.text):
        chars = "".join(CJK.findall(document.text[start:end]))
        pages = document.pages(start, end)
        if len(pages) == 1:
            assert chars in printed[pages[0]], document.text[start:end]
        else:
            assert chars[:6] in printed[pages[0]] and chars[-6:] in printed[pages[-1]], document.text[start:end]


def _spans(text: str):
    offset = 0
    for line in text.split("\n"):
        yield offset, offset + len(line)
        offset += len(line) + 1


@pytest.mark.parametrize("kind", ["chromium", "office"])
@pytest.mark.parametrize("stem", SOURCES)
def test_headings_stay_headings_through_ingest(tmp_path, stem, kind):
    path = tmp_path / f"{stem}.{kind}.pdf"
    shutil.copy(DOCUMENTS / path.name, path)
    metas = [replace(meta, file=path.name) for meta in METADATA[f"{stem}.txt"]]
    from_pdf = ingest_file(path, metas)
    from_txt = ingest_file(DATA / f"{stem}.txt", METADATA[f"{stem}.txt"])
    assert len(from_pdf) == len(from_txt)
    for pdf_report, txt_report in zip(from_pdf, from_txt):
        assert [(squeezed(p.text), tuple(map(squeezed, p.headings))) for p in pdf_report.paragraphs] == [
            (squeezed(p.text), tuple(map(squeezed, p.headings))) for p in txt_report.paragraphs
        ]
        assert all(p.pages for p in pdf_report.paragraphs)


def test_two_columns_are_read_left_then_right():
    path = DOCUMENTS / "jinhu_hongze.twocolumn.pdf"
    page = pymupdf.open(path)[0]
    starts = [block[0] for block in page.get_text("blocks")]
    assert any(x > page.rect.width / 2 for x in starts), "the fixture should have a right column"
    read = read_paragraphs(path.name)
    source = source_paragraphs("jinhu_hongze")
    assert len(read) >= 8 and read == source[: len(read)]


@pytest.mark.parametrize("name, degrees", [("zhenjiang.chromium.pdf", 1.0), ("jinhu_hongze.office.pdf", -1.0), ("jiangyan.chromium.pdf", 0.5)])
def test_a_tilted_scan_of_the_same_page_gives_the_same_paragraphs(name, degrees):
    """Lines as OCR gives them: no font size, boxes of a page turned by a degree, a confidence each.
    pdfplumber reads the lines, so that this reader's own line building is not what is tested."""
    pages = []
    with pdfplumber.open(DOCUMENTS / name) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            lines = [_turned(line, page.width / 2, page.height / 2, degrees) for line in page.extract_text_lines()]
            pages.append(Page(number, page.width, page.height, tuple(lines)))
    document = rebuild(pages)
    assert [squeezed(line) for line in document.text.split("\n")] == source_paragraphs(name.split(".")[0])
    assert document.ocr_lines and all(0 <= o.start < o.end <= len(document.text) for o in document.ocr_lines)
    assert document.ocr_confidence(0, len(document.text)) == 0.9


def _turned(line: dict, cx: float, cy: float, degrees: float) -> Line:
    angle = math.radians(degrees)
    corners = [(x, y) for x in (line["x0"], line["x1"]) for y in (line["top"], line["bottom"])]
    turned = [
        (cx + (x - cx) * math.cos(angle) - (y - cy) * math.sin(angle), cy + (x - cx) * math.sin(angle) + (y - cy) * math.cos(angle))
        for x, y in corners
    ]
    xs, ys = [x for x, _ in turned], [y for _, y in turned]
    return Line(line["text"], min(xs), max(xs), min(ys), max(ys), size=0.0, confidence=0.9)


def test_text_pdf_has_ordered_page_starts_and_no_ocr_lines():
    document = read_document(DOCUMENTS / "jiangyan.office.pdf")
    assert list(document.page_starts) == sorted(document.page_starts) and document.page_starts[0] == 0
    assert document.ocr_lines == ()


def test_part_scanned_pdf_is_one_document_with_pages_in_order():
    pytest.importorskip("rag.readers.ocr", reason="OCR reader not available")
    pytest.importorskip("rapidocr_onnxruntime", reason="RapidOCR not installed")
    document = read_document(DOCUMENTS / "jiangyan.mixed.pdf")
    assert len(document.page_starts) == 3
    assert document.ocr_lines and {document.pages(o.start, o.end) for o in document.ocr_lines} == {(2,)}
    read = document.text.split("\n")
    source = source_paragraphs("jiangyan")
    assert len(read) == len(source)
    offset = 0
    for line, expected in zip(read, source):
        pages = document.pages(offset, offset + len(line))
        if 2 not in pages:  # text-layer paragraphs are exact; OCR may misread a character
            assert squeezed(line) == expected
        offset += len(line) + 1


def test_scan_only_pdf_without_ocr_is_refused(tmp_path, monkeypatch):
    scan = pymupdf.open(DOCUMENTS / "jiangyan.mixed.pdf")
    scan.select([1])
    path = tmp_path / "scan.pdf"
    scan.save(path)
    monkeypatch.setitem(sys.modules, "rag.readers.ocr", None)  # as where OCR is not installed
    with pytest.raises(BadDocument, match=r"scan\.pdf.*no extractable text.*scanned.*OCR is not available"):
        read_document(path)


def test_password_protected_pdf_is_refused_and_owner_only_encryption_is_read(tmp_path):
    source = pymupdf.open(DOCUMENTS / "zhenjiang.office.pdf")
    locked, restricted = tmp_path / "locked.pdf", tmp_path / "restricted.pdf"
    source.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    source.save(restricted, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", permissions=pymupdf.PDF_PERM_PRINT)
    with pytest.raises(BadDocument, match=r"locked\.pdf.*password-protected"):
        read_document(locked)
    assert read_document(restricted).text == read_document(DOCUMENTS / "zhenjiang.office.pdf").text


@pytest.mark.slow
def test_quotes_from_a_pdf_and_a_scan_are_exact_slices_that_pass_the_basket_check(tmp_path, embedder):
    """What an answer quotes from a paged file is `source[start:end]` of the text the file yields,
    carries its page, and comes back whole through the check a stored basket goes through."""
    from rag.assistant import Assistant
    from rag.basket import Basket, BasketItem, answer_excerpts
    from rag.config import Settings
    from rag.excerpts import ExcerptSource
    from rag.index import Index, build_index
    from rag.retrieve import Retriever

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(DOCUMENTS / "zhenjiang.chromium.pdf", corpus)
    shutil.copy(DATA.parent / "files" / "scans" / "jiangyan.pdf", corpus)  # image only: OCR
    build_index(corpus, index, embedder, Settings())
    retriever = Retriever(Index.open(index, embedder.id, Settings()), embedder, Settings())
    assistant = Assistant(corpus, index, Settings(), retriever)
    for question, doc in (("镇江市政协提案办理的解决率是多少？", "zhenjiang.chromium.pdf"), ("姜堰区政协召开党组理论中心组学习会多少次？", "jiangyan.pdf")):
        answer = assistant.ask(question)
        assert not answer.abstained, (question, answer.reason)
        excerpts = answer_excerpts(answer)
        source = read_document(corpus / doc)
        for excerpt in (e for e in excerpts if e.chunk.doc == doc):
            assert source.text[excerpt.start : excerpt.end] == excerpt.text
            assert excerpt.chunk.pages == source.pages(excerpt.chunk.start, excerpt.chunk.end) != ()
        items = [BasketItem.from_excerpt(e) for e in excerpts]
        restored, dropped = Basket.restore([item.to_dict() for item in items], ExcerptSource(retriever.index.chunks))
        assert dropped == 0 and {i.key for i in restored.items} == {i.key for i in items}
        assert all(i.pages for i in restored.items if i.doc == doc)


def _ocr_line(text: str, x0: float, top: float, em: float = 12.0, height: float = 16.0) -> Line:
    """A line as OCR gives it: no font size, a box `height` high, `em` a Chinese character (0.6 em a Latin one)."""
    width = sum(em if ord(char) > 0x2E80 else 0.6 * em for char in text if not char.isspace())
    return Line(text, x0, x0 + width, top, top + height, size=0.0, confidence=0.95)


def _body(page: int) -> list[Line]:
    return [_ocr_line(f"第{page}页正文政协委员围绕中心服务大局积极建言资政凝聚共识推动发展第{n}行", 60, 120 + 24 * n) for n in range(20)]


def test_a_running_head_misread_on_one_scanned_page_is_still_dropped():
    """Set as large as the text and close above it, the head is known only by repeating; OCR read one copy wrong."""
    heads = ["踔厉奋发担使命勇毅前行谱新篇勇担新使命", "薛历奋发担使命勇毅前行谱新篇勇担新使命", "踔厉奋发担使命勇毅前行谱新篇勇担新使命"]
    pages = [Page(n + 1, 595, 842, (_ocr_line(head, 60, 70), *_body(n + 1))) for n, head in enumerate(heads)]
    text = rebuild(pages).text
    assert "奋发担使命" not in text and text.count("积极建言资政") == 60


@pytest.mark.parametrize("url", [
    "fil://tmp/tmp00i3z0v0/jiangyan.html", "file;//tmp/report/jiangyan.html", "flle:///tmp/jiangyan.html",
    "htps://www.cppcc.gov.cn/zxww/", "http//www.cppcc.gov.cn/zxww/", "www,cppcc.gov.cn/zxww/",
])
def test_a_url_misread_by_one_character_is_furniture(url):
    assert looks_like_furniture(url)


@pytest.mark.parametrize("text", ["filed 12 proposals in 2024", "Wuwei county report", "2024年工作回顾", "www"])
def test_text_is_no_url(text):
    assert not looks_like_furniture(text)


def test_an_ocr_page_number_is_furniture_though_its_box_is_taller_than_the_text():
    """A line without Chinese has only its box to tell its size by, which digits and slashes make tall
    (a photo's perspective more so); a heading twice the text's size is still no page number."""
    lines = (_ocr_line("2024", 60, 40, height=34), *_body(1), _ocr_line("1/3", 520, 800, height=22))
    text = rebuild([Page(1, 595, 842, lines)]).text
    assert text.startswith("2024\n") and not text.endswith("1/3")
