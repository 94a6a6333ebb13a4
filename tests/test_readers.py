"""rag.readers.read_text on real report text written into tmp_path in each supported format."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from rag.errors import BadDocument
from rag.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, read_text

DATA = Path(__file__).resolve().parent / "data"
SIMPLIFIED = (DATA / "jiangyan.txt").read_text(encoding="utf-8")  # 姜堰区政协
TRADITIONAL = (DATA / "zhenjiang.txt").read_text(encoding="utf-8")  # 鎮江市政協


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def raises_naming(path: Path, *words: str):
    """pytest.raises for a one-line BadDocument naming the file and saying what is wrong."""
    return pytest.raises(BadDocument, match=re.escape(path.name) + ".*" + ".*".join(words))


# --- plain text: the decoded file, character for character -------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_simplified_report_round_trips(tmp_path, encoding):
    path = write(tmp_path, "report.txt", SIMPLIFIED.encode(encoding))
    assert read_text(path) == SIMPLIFIED


@pytest.mark.parametrize("encoding", ["big5", "gbk", "utf-8"])
def test_traditional_report_round_trips(tmp_path, encoding):
    # GBK holds traditional characters too: traditional text alone must not mean Big5.
    path = write(tmp_path, "report.txt", TRADITIONAL.encode(encoding))
    assert read_text(path) == TRADITIONAL


@pytest.mark.parametrize(
    ("text", "encoding"), [(SIMPLIFIED, "gbk"), (TRADITIONAL, "big5")], ids=["gbk", "big5"]
)
def test_each_line_alone_is_detected(tmp_path, text, encoding):
    # A short file gives the detector little evidence; every real line must still decode.
    lines = [line for line in text.splitlines() if len(re.sub(r"[\x00-\x7f]", "", line)) >= 2]
    assert len(lines) >= 10
    for i, line in enumerate(lines):
        path = write(tmp_path, f"line{i}.txt", line.encode(encoding))
        assert read_text(path) == line


def test_whitespace_and_crlf_are_kept(tmp_path):
    # Offsets index the decoded file, so nothing may be stripped or normalised.
    text = "\r\n  一、2024年工作回顾\r\n\r\n\t区政协坚持团结和民主两大主题。  \r\n\r\n"
    for encoding in ("utf-8", "gb18030", "utf-16-le"):
        data = text.encode(encoding)
        if encoding == "utf-16-le":
            data = b"\xff\xfe" + data
        assert read_text(write(tmp_path, f"crlf-{encoding}.txt", data)) == text


def test_only_the_leading_bom_is_dropped(tmp_path):
    text = "政协\ufeff委员"
    assert read_text(write(tmp_path, "bom.txt", ("\ufeff" + text).encode("utf-8"))) == text


def test_markdown_is_kept_as_markdown(tmp_path):
    text = "# 政协工作报告\n\n## 一、2024年工作回顾\n\n- **提案** 312件\n- 协商议政 *12* 次\n"
    assert read_text(write(tmp_path, "report.MD", text.encode("gbk"))) == text


# --- structured formats: paragraphs joined with a blank line ------------------------------


def test_docx_paragraphs_and_tables_in_document_order(tmp_path):
    document = docx.Document()
    document.add_heading("政协泰州市姜堰区委员会常务委员会工作报告", level=1)
    document.add_paragraph("")  # Word's spacing paragraph: no text, no block
    document.add_paragraph("2024年,新中国和人民政协成立75周年。")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["项目", "件数", "备注"]):
        cell.text = text
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    table.cell(1, 0).text = "提案"
    merged.text = "312"
    document.add_paragraph("区政协坚持团结和民主两大主题。")
    path = tmp_path / "report.docx"
    document.save(path)

    assert read_text(path) == (
        "政协泰州市姜堰区委员会常务委员会工作报告\n\n"
        "2024年,新中国和人民政协成立75周年。\n\n"
        "项目\t件数\t备注\n\n"
        "提案\t312\n\n"
        "区政协坚持团结和民主两大主题。"
    )


def minimal_pdf(pages: list[str]) -> bytes:
    """A hand-written PDF, one Helvetica text line per page, with a correct xref table."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_short_lines_on_two_pages_are_two_paragraphs(tmp_path):
    path = write(
        tmp_path,
        "report.pdf",
        minimal_pdf(["CPPCC Jiangyan work report 2024", "312 proposals were filed"]),
    )
    assert read_text(path) == "CPPCC Jiangyan work report 2024\n312 proposals were filed"


HTML = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>首页>专题</title>
<style>p { color: red }</style><script>var 首页 = "广告";</script></head>
<body>
<header><a href="/">政协网首页</a></header>
<nav><ul><li>首页</li><li>专题</li></ul></nav>
<!-- 统计代码 -->
<h1>政协泰州市姜堰区委员会
    常务委员会工作报告</h1>
<div><p>2024年,新中国和人民政协成立<b>75</b>周年。</p>
<p>区政协坚持团结&amp;民主两大主题。<br>全年立案提案312件。</p></div>
<table><tr><th>项目</th><th>件数</th></tr><tr><td>提案</td><td>312</td></tr></table>
<pre>一、  思想政治引领
二、  协商议政</pre>
<footer>版权所有 &copy; 政协</footer>
<script>track();</script>
</body></html>
"""


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_visible_text_only(tmp_path, suffix):
    path = write(tmp_path, "report" + suffix, HTML.encode("gbk"))
    assert read_text(path) == (
        "政协泰州市姜堰区委员会 常务委员会工作报告\n\n"
        "2024年,新中国和人民政协成立75周年。\n\n"
        "区政协坚持团结&民主两大主题。\n全年立案提案312件。\n\n"
        "项目\t件数\n\n"
        "提案\t312\n\n"
        "一、  思想政治引领\n二、  协商议政"
    )


def test_html_with_a_wrong_charset_declaration_is_still_decoded(tmp_path):
    html = '<html><head><meta charset="big5"></head><body><p>' + SIMPLIFIED[:300] + "</p></body></html>"
    text = read_text(write(tmp_path, "wrong.html", html.encode("gbk")))
    assert "政协泰州市姜堰区委员会常务委员会工作报告" in text


# --- bad input: one line that names the file and says what is wrong -----------------------


def test_missing_file(tmp_path):
    path = tmp_path / "不存在.txt"
    with raises_naming(path, "no such file"):
        read_text(path)


def test_unsupported_suffix_lists_the_supported_ones(tmp_path):
    path = write(tmp_path, "report.wps", b"\xd0\xcf\x11\xe0")  # WPS Office's own format
    with raises_naming(path, "unsupported", *map(re.escape, SUPPORTED_SUFFIXES)):
        read_text(path)


@pytest.mark.parametrize(
    ("name", "data"),
    [("zero.txt", b""), ("blank.txt", b" \r\n\t\n"), ("blank.md", "\u3000\n".encode("utf-8"))],
)
def test_empty_file(tmp_path, name, data):
    path = write(tmp_path, name, data)
    with raises_naming(path, "empty"):
        read_text(path)


def test_html_without_visible_text_is_empty(tmp_path):
    path = write(tmp_path, "nav-only.html", b"<html><nav>Home</nav><script>x()</script></html>")
    with raises_naming(path, "empty"):
        read_text(path)


def test_nul_bytes_mean_binary(tmp_path):
    path = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with raises_naming(path, "binary"):
        read_text(path)


def test_bytes_in_no_supported_encoding_are_refused(tmp_path):
    path = write(tmp_path, "latin1.txt", "Café résumé, naïve façade.".encode("latin-1"))
    with raises_naming(path, "not text in UTF-8", "GB18030", "Big5"):
        read_text(path)


def test_text_that_decodes_only_to_mojibake_is_refused(tmp_path):
    # Shift-JIS Japanese is valid GB18030 byte by byte, but no Chinese reader could read it.
    japanese = "日本語のテキストです。これは東京で書かれました。ひらがなとカタカナが多いです。" * 3
    path = write(tmp_path, "japanese.txt", japanese.encode("shift_jis"))
    with raises_naming(path, "undecodable"):
        read_text(path)


def test_control_characters_mean_binary(tmp_path):
    path = write(tmp_path, "data.md", bytes(range(1, 32)) * 20)
    with raises_naming(path, "binary"):
        read_text(path)


def test_broken_utf16(tmp_path):
    path = write(tmp_path, "odd.txt", b"\xff\xfe" + "政协".encode("utf-16-le") + b"\x00\xd8")
    with raises_naming(path, "UTF-16"):
        read_text(path)


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no 50 MB written
    with raises_naming(path, "larger than", "50 MiB"):
        read_text(path)


@pytest.mark.parametrize(
    "data", [b"PK\x03\x04 not really a zip", b"plain text"], ids=["truncated-zip", "not-zip"]
)
def test_docx_that_is_not_a_docx(tmp_path, data):
    path = write(tmp_path, "report.docx", data)
    with raises_naming(path, "not a valid .docx"):
        read_text(path)


def test_zip_without_a_word_document(tmp_path):
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.txt", SIMPLIFIED)
    with raises_naming(path, "not a valid .docx"):
        read_text(path)


def test_docx_without_text_is_empty(tmp_path):
    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    with raises_naming(path, "empty"):
        read_text(path)


def test_pdf_without_text_layer_is_probably_scanned(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as f:
        writer.write(f)
    with raises_naming(path, "no extractable text", "scanned", "OCR"):
        read_text(path)


def test_pdf_that_is_not_a_pdf(tmp_path):
    path = write(tmp_path, "report.pdf", SIMPLIFIED.encode("utf-8"))
    with raises_naming(path, "not a valid PDF"):
        read_text(path)


def test_directory_is_not_a_report(tmp_path):
    path = tmp_path / "folder.txt"
    path.mkdir()
    with raises_naming(path, "not a regular file"):
        read_text(path)


def test_messages_are_one_line(tmp_path):
    bad = [
        write(tmp_path, "report.pdf", b"%PDF-1.4\n1 0 obj\n<<\n>>\ntrailer\n\n"),
        write(tmp_path, "report.docx", b"PK\x03\x04\n\n\n"),
        write(tmp_path, "image.txt", b"\x00\n\x00\n"),
    ]
    for path in bad:
        with pytest.raises(BadDocument) as caught:
            read_text(path)
        assert "\n" not in str(caught.value)
