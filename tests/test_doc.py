"""Word files as people save them: .docx heading styles and automatic numbering, and .doc (Word 97-2003).

The .docx files are built here with python-docx (real heading styles, numbering from a
numbering definition); the .doc files are those .docx saved by LibreOffice, as a user's
converter saves them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from rag.errors import BadDocument
from rag.ingest import ingest_file, read_metadata
from rag.readers import read_text
from rag.readers.doc import DEBIAN_PACKAGE
from rag.records import ReportMeta

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
CORPUS = REPO / "corpus"
JIANGYAN = (DATA / "jiangyan.txt").read_text(encoding="utf-8")

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason=f"LibreOffice not installed ({DEBIAN_PACKAGE})")
_NUMBERED = re.compile(r"^[一二三四五六七八九十]+、")
_SUB_NUMBERED = re.compile(r"^（[一二三四五六七八九十]+）")


def chinese_numbering(document) -> str:
    """A numbering definition as Chinese reports use it: "一、" at level 0, "（一）" at level 1; its numId."""
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="77"><w:multiLevelType w:val="multilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/>'
        '<w:lvlJc w:val="left"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/>'
        '<w:lvlJc w:val="left"/></w:lvl></w:abstractNum>'
    ))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="77"><w:abstractNumId w:val="77"/></w:num>'))
    return "77"


def number(paragraph, num_id: str, level: int | None = 0) -> None:
    """Number a paragraph, or every paragraph of a style, by the list `num_id` (at its level 0 unless told)."""
    element = paragraph._p if hasattr(paragraph, "_p") else paragraph.element
    num_pr = element.get_or_add_pPr().get_or_add_numPr()
    if level is not None:
        num_pr.get_or_add_ilvl().val = level
    num_pr.get_or_add_numId().val = int(num_id)


def report_docx(text: str, path: Path) -> Path:
    """A report's paragraphs as Word holds them: the first line in the Title style, "一、" lines as
    Heading 2 numbered by Word (the number is not typed), other short lines without a sentence
    end as Heading 1, the rest as body text."""
    document = docx.Document()
    num_id = chinese_numbering(document)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    document.add_heading(lines[0], 0)
    for line in lines[1:]:
        if _NUMBERED.match(line):
            number(document.add_heading(_NUMBERED.sub("", line), 2), num_id)
        elif len(line) <= 40 and line[-1] not in "。；！？":
            document.add_heading(line, 1)
        else:
            document.add_paragraph(line)
    document.save(path)
    return path


def save_as_doc(docx_paths: list[Path], out_dir: Path) -> list[Path]:
    """The .docx files saved as Word 97-2003 by LibreOffice, the converter a user would use."""
    profile = (out_dir / ".profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "doc", "--outdir", str(out_dir),
         *map(str, docx_paths)],
        check=True, capture_output=True, timeout=300,
    )
    return [out_dir / f"{path.stem}.doc" for path in docx_paths]


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def jiangyan_docx(tmp_path_factory) -> Path:
    return report_docx(JIANGYAN, tmp_path_factory.mktemp("word") / "jiangyan.docx")


@pytest.fixture(scope="module")
def jiangyan_doc(jiangyan_docx, tmp_path_factory) -> Path:
    if shutil.which("soffice") is None:
        pytest.skip(f"LibreOffice not installed ({DEBIAN_PACKAGE})")
    return save_as_doc([jiangyan_docx], tmp_path_factory.mktemp("doc"))[0]


# --- .docx: headings and automatic numbering ------------------------------------------------


def test_automatic_numbers_are_written_into_the_text(jiangyan_docx):
    # The docx holds "把牢履职方向,…"; Word shows "一、把牢履职方向,…", and so must the reader.
    assert "一、" not in "".join(p.text for p in docx.Document(str(jiangyan_docx)).paragraphs)
    assert paragraphs(read_text(jiangyan_docx)) == paragraphs(JIANGYAN)


def test_numbered_headings_head_their_paragraphs(jiangyan_docx):
    meta = replace(read_metadata(DATA)["jiangyan.txt"][0], file="jiangyan.docx")
    report = ingest_file(jiangyan_docx, [meta])[0]
    by_start = {p.text[:8]: p.headings for p in report.paragraphs}
    assert by_start["理论武装强信念。"] == ("2024年工作回顾", "一、把牢履职方向,政治引领得到新加强", "理论武装强信念")
    assert by_start["锤炼品格,砥砺前"][:2] == ("2025年工作安排", "四、苦练内功,提升效能,在自身建设上深化提升")


def test_sub_levels_restart_under_each_new_item(tmp_path):
    document = docx.Document()
    num_id = chinese_numbering(document)
    for text, level in [("把牢履职方向", 0), ("理论武装强信念", 1), ("党建赋能增动力", 1), ("突出履职主线", 0), ("解忧纾困暖民心", 1)]:
        number(document.add_paragraph(text), num_id, level)
    document.save(tmp_path / "list.docx")
    assert paragraphs(read_text(tmp_path / "list.docx")) == [
        "一、把牢履职方向", "（一）理论武装强信念", "（二）党建赋能增动力", "二、突出履职主线", "（一）解忧纾困暖民心",
    ]


def test_heading_style_numbered_through_its_style(tmp_path):
    # Official-document templates number "标题 2" itself: the paragraph carries no numPr, its style does.
    document = docx.Document()
    num_id = chinese_numbering(document)
    style = document.styles.add_style("标题 2", 1)
    style.base_style = document.styles["Normal"]
    number(style, num_id, level=None)
    for text in ("把牢履职方向", "突出履职主线"):
        document.add_paragraph(text, style="标题 2")
        document.add_paragraph("依托制度化学习体系,将“第一议题”制度贯穿始终。")
    document.save(tmp_path / "styled.docx")
    assert paragraphs(read_text(tmp_path / "styled.docx"))[::2] == ["一、把牢履职方向", "二、突出履职主线"]


def test_decimal_lists_and_bullets(tmp_path):
    document = docx.Document()
    for text in ("组织协商活动120场次", "办理提案159件"):
        document.add_paragraph(text, style="List Number")
    document.add_paragraph("开展民主监督", style="List Bullet")
    document.save(tmp_path / "lists.docx")
    assert paragraphs(read_text(tmp_path / "lists.docx")) == ["1. 组织协商活动120场次", "2. 办理提案159件", "开展民主监督"]


def test_a_heading_is_one_line_without_a_sentence_end(tmp_path):
    # A soft line break inside a heading, a typed full stop after it: still one heading for ingest.
    document = docx.Document()
    heading = document.add_heading("一、把牢履职方向,", 2)
    heading.add_run().add_break()
    heading.add_run("政治引领得到新加强。")
    outlined = document.add_paragraph("二、突出履职主线")
    outlined._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="1"/>'))
    document.add_paragraph("理论武装强信念。依托制度化学习体系,将“第一议题”制度贯穿始终,学深悟透重要讲话精神。")
    document.save(tmp_path / "report.docx")
    text = read_text(tmp_path / "report.docx")
    assert paragraphs(text)[:2] == ["一、把牢履职方向, 政治引领得到新加强", "二、突出履职主线"]
    meta = ReportMeta("report.docx", "政协泰州市姜堰区委员会", "姜堰区政协", "工作报告", 2024, "工作报告")
    body = ingest_file(tmp_path / "report.docx", [meta])[0].paragraphs
    assert [p.headings for p in body] == [("二、突出履职主线", "理论武装强信念")]


# --- .doc: Word 97-2003 through LibreOffice ---------------------------------------------------


def test_doc_reads_as_the_docx_it_was_saved_from(jiangyan_doc, jiangyan_docx):
    assert jiangyan_doc.read_bytes().startswith(b"\xd0\xcf\x11\xe0")  # a real OLE2 Word file
    assert read_text(jiangyan_doc) == read_text(jiangyan_docx)


def test_doc_keeps_numbered_headings_for_ingest(jiangyan_doc):
    meta = replace(read_metadata(DATA)["jiangyan.txt"][0], file="jiangyan.doc")
    report = ingest_file(jiangyan_doc, [meta])[0]
    assert any("一、把牢履职方向,政治引领得到新加强" in p.headings for p in report.paragraphs)
    assert report.paragraphs[0].text.startswith("理论武装强信念。")  # title and headings are no body text


def test_doc_without_libreoffice_names_the_package(monkeypatch, tmp_path):
    # What the reader checks before it calls LibreOffice: an OLE2 container with a WordDocument stream.
    path = tmp_path / "jiangyan.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "WordDocument".encode("utf-16-le") + bytes(500))
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on it
    with pytest.raises(BadDocument, match=rf"jiangyan\.doc: .*LibreOffice.*{DEBIAN_PACKAGE}") as refused:
        read_text(path)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("data", [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, b"plain bytes, no document", b"%PDF-1.4\n"])
def test_what_is_no_word_file_is_refused_before_libreoffice_sees_it(tmp_path, data):
    path = tmp_path / "report.doc"
    path.write_bytes(data)
    with pytest.raises(BadDocument, match=r"report\.doc: not a valid \.doc file") as refused:
        read_text(path)
    assert "\n" not in str(refused.value)


@needs_soffice
def test_a_damaged_word_file_is_refused_not_read_as_text(tmp_path):
    # Left to guess, LibreOffice imports any bytes as text: 3 KB of noise would become a "report".
    path = tmp_path / "damaged.doc"
    noise = bytes((i * 7919 + 13) % 251 for i in range(3000))
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise + "WordDocument".encode("utf-16-le") + noise)
    with pytest.raises(BadDocument, match=r"damaged\.doc: not a valid \.doc file \(LibreOffice could not open it") as refused:
        read_text(path)
    assert "\n" not in str(refused.value)


def test_docx_or_html_named_doc_is_read_by_its_own_reader(jiangyan_docx, tmp_path):
    shutil.copy(jiangyan_docx, tmp_path / "saved.doc")
    (tmp_path / "page.doc").write_text("<html><body><p>政协工作报告</p><p>一年来,区政协坚持团结和民主两大主题。</p></body></html>", encoding="utf-8")
    assert read_text(tmp_path / "saved.doc") == read_text(jiangyan_docx)
    assert read_text(tmp_path / "page.doc") == "政协工作报告\n\n一年来,区政协坚持团结和民主两大主题。"


@pytest.mark.slow  # six LibreOffice runs, about 8 s
@needs_soffice
def test_shipped_reports_as_doc_keep_every_paragraph(tmp_path):
    reports = sorted(CORPUS.glob("*.txt"))
    for report in reports:
        document = docx.Document()
        for line in paragraphs(report.read_text(encoding="utf-8")):
            document.add_paragraph(line)
        document.save(tmp_path / f"{report.stem}.docx")
    docs = save_as_doc([tmp_path / f"{report.stem}.docx" for report in reports], tmp_path)
    for report, doc in zip(reports, docs):
        assert paragraphs(read_text(doc)) == paragraphs(report.read_text(encoding="utf-8")), report.name
