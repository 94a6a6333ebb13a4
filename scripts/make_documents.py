"""Print the reports as real documents, with the tools people print them with.

Each report file (.txt; a paragraph is a non-blank line) becomes, under the same stem:

    STEM.chromium.pdf    an HTML page printed by headless Chromium, with the browser's own
                         header (print date, page title) and footer (file URL, "n/m")
    STEM.office.docx     an official-document layout (python-docx): 仿宋_GB2312 16 pt, first-line
                         indent of two characters, fixed 28 pt line pitch, no space between
                         paragraphs, headings in bold, a centred footer "— N —" (a PAGE field)
    STEM.office.pdf      that .docx exported by LibreOffice (soffice --convert-to pdf)
    STEM.doc             the same .docx saved by LibreOffice as Word 97-2003

and once per run:

    STEM.twocolumn.pdf   the first paragraphs of one file as one page of two columns (CSS
                         column-count: 2, title spanning both), printed by Chromium
    STEM.mixed.pdf       STEM.office.pdf with its second page replaced by a scan of it: rendered
                         by pdftoppm at 120 dpi, turned 1° as a sheet on a scanner glass is,
                         saved as a JPEG by Pillow and put in as an image-only page by PyMuPDF

The Chinese fonts named (仿宋_GB2312, FangSong) are rarely installed on Linux; LibreOffice
and Chromium fall back to what fontconfig offers for Chinese (here WenQuanYi Zen Hei, see
`fc-list :lang=zh`), as they do on a user's machine.

    .venv/bin/python scripts/make_documents.py OUT_DIR          # every file of corpus/
    .venv/bin/python scripts/make_documents.py --small          # tests/data/ -> tests/files/documents/

--small prints jiangyan.txt, jinhu_hongze.txt and zhenjiang.txt of tests/data/ on A5 paper, so
that a short text still runs over several pages, with headings of normal weight in the browser
prints (Chromium draws the bold of a font without a bold face as Type 3 glyphs, ~4 KB each; the
folder stays under 1 MB); the two-column page is jinhu_hongze's, the part-scanned PDF jiangyan's.
In a full run the two-column page is the second file's and the part-scanned PDF the first's.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMALL_FILES = ("jiangyan.txt", "jinhu_hongze.txt", "zhenjiang.txt")
SMALL_OUT = REPO / "tests" / "files" / "documents"
SMALL_PAPER = "A5"

CHROMIUM = [
    "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]
BODY_FONT = "仿宋_GB2312"
HEADING_MAX_CHARS = 40
_PROSE_END = "。！？!?；;…,，、:："
_SUB_NUMBERED = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")

PAGE_CSS = """
@page {{ size: {paper}; }}
body {{ font-family: "{font}", "FangSong", serif; font-size: 16px; line-height: 1.7; }}
h1 {{ font-size: 24px; text-align: center; }}
h2 {{ font-size: 19px; }}
h3 {{ font-size: 17px; }}
h1, h2, h3 {{ font-weight: {weight}; }}
"""
# A newspaper page: columns, indented paragraphs without space between them.
COLUMNS_CSS = """
.columns {{ column-count: 2; column-gap: 2em; }}
.columns p {{ margin: 0; text-indent: 2em; }}
.columns h2, .columns h3 {{ margin: 0.4em 0; }}
"""


def paragraphs(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def kind(line: str, title_words: str) -> str:
    """h1 for a line of the report's title, h2/h3 for other short lines without end punctuation, else p."""
    if len(line) > HEADING_MAX_CHARS or line[-1] in _PROSE_END:
        return "p"
    parts = line.replace("—", " ").split()
    if parts and all(part in title_words for part in parts):
        return "h1"
    return "h3" if _SUB_NUMBERED.match(line) else "h2"


def html_page(lines: list[str], title: str, title_words: str, paper: str, columns: bool = False) -> str:
    # Chromium draws a bold face the font lacks as Type 3 glyphs, ~4 KB each: tests/data gets normal weight.
    weight = "normal" if paper == SMALL_PAPER else "bold"
    css = PAGE_CSS.format(paper=paper, font=BODY_FONT, weight=weight) + (COLUMNS_CSS.format() if columns else "")
    blocks = []
    for line in lines:
        tag = kind(line, title_words)
        blocks.append(f"<{tag}>{html.escape(line)}</{tag}>")
    if columns:
        # The title lines above the first paragraph span both columns, as on a newspaper page.
        lead = next((n for n, block in enumerate(blocks) if not block.startswith("<h1>")), len(blocks))
        body = "\n".join(blocks[:lead]) + '\n<div class="columns">\n' + "\n".join(blocks[lead:]) + "\n</div>"
    else:
        body = "\n".join(blocks)
    lang = "zh-Hant" if re.search("[這為與個們來會國學]", "".join(lines)) else "zh-CN"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{css}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def print_html(page: str, html_path: Path, pdf_path: Path) -> None:
    html_path.write_text(page, encoding="utf-8")
    subprocess.run(
        [*CHROMIUM, f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    if not pdf_path.exists():
        sys.exit(f"chromium wrote no {pdf_path}")


def office_docx(lines: list[str], title: str, title_words: str, path: Path, small: bool) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    document = docx.Document()
    document.core_properties.title = title
    section = document.sections[0]
    width, height = (Mm(148), Mm(210)) if small else (Mm(210), Mm(297))
    section.page_width, section.page_height = width, height
    # GB/T 9704 margins; A5 gets two thirds of them.
    scale = 2 / 3 if small else 1
    section.top_margin, section.bottom_margin = Mm(37 * scale), Mm(35 * scale)
    section.left_margin, section.right_margin = Mm(28 * scale), Mm(26 * scale)
    _page_number_footer(section.footer.paragraphs[0])
    for line in lines:
        tag = kind(line, title_words)
        paragraph = document.add_paragraph()
        form = paragraph.paragraph_format
        form.space_before = form.space_after = Pt(0)
        form.line_spacing_rule, form.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(36 if tag == "h1" else 28)
        if tag == "h1":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            form.first_line_indent = Pt(32)
        run = paragraph.add_run(line)
        _font(run, Pt(22 if tag == "h1" else 16), bold=tag in ("h2", "h3"))
    document.save(path)


def _font(run, size, bold: bool) -> None:
    from docx.oxml.ns import qn

    run.font.size, run.font.bold, run.font.name = size, bold, BODY_FONT
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), BODY_FONT)


def _page_number_footer(paragraph) -> None:
    """"— N —" centred, N a PAGE field that Word and LibreOffice fill in per page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), Pt(14), bold=False)
    for field_part in ("begin", "instr", "separate", "1", "end"):
        run = paragraph.add_run()
        _font(run, Pt(14), bold=False)
        if field_part == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = " PAGE "
        elif field_part == "1":
            element = OxmlElement("w:t")
            element.text = "1"
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), field_part)
        run._element.append(element)
    _font(paragraph.add_run(" —"), Pt(14), bold=False)


def soffice(target: str, files: list[Path], out_dir: Path, profile: Path) -> None:
    # An own profile: two soffice processes sharing one silently convert nothing.
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
         "--convert-to", target, "--outdir", str(out_dir), *map(str, files)],
        check=True, capture_output=True, timeout=600,
    )
    for path in files:
        if not (out_dir / f"{path.stem}.{target}").exists():
            sys.exit(f"soffice wrote no {path.stem}.{target} into {out_dir}")


def two_column_page(lines: list[str], title: str, title_words: str, paper: str, stem: str, work: Path, out: Path) -> None:
    """The longest run of opening paragraphs that Chromium prints on one page of two columns."""
    pdf = out / f"{stem}.twocolumn.pdf"
    count = len(lines)
    while count > 2:
        print_html(html_page(lines[:count], title, title_words, paper, columns=True), work / f"{stem}.twocolumn.html", pdf)
        if page_count(pdf) == 1:
            return
        count -= 1
    sys.exit(f"{stem}: not even two paragraphs fit on one two-column page")


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def part_scanned(office_pdf: Path, stem: str, work: Path, out: Path) -> None:
    """Page 2 of `office_pdf` swapped for a picture of it, as a scanner makes one."""
    import pymupdf
    from PIL import Image

    if page_count(office_pdf) < 2:
        sys.exit(f"{office_pdf.name}: one page only; a part-scanned PDF needs two")
    subprocess.run(["pdftoppm", "-r", "120", "-gray", "-png", "-f", "2", "-l", "2", str(office_pdf), str(work / "scan")], check=True)
    (scan_png,) = work.glob("scan*.png")
    with Image.open(scan_png) as image:
        turned = image.convert("L").rotate(1, resample=Image.Resampling.BICUBIC, fillcolor=255)
        turned.save(work / "scan.jpg", quality=60)
    # PyMuPDF rather than pdfseparate + pdfunite: those give every page its own copy of the fonts.
    with pymupdf.open(office_pdf) as document:
        size = document[1].rect
        document.delete_page(1)
        page = document.new_page(1, width=size.width, height=size.height)
        page.insert_image(page.rect, filename=str(work / "scan.jpg"))
        document.save(out / f"{stem}.mixed.pdf", garbage=3, deflate=True)


def report_titles(metadata: Path) -> dict[str, list[dict]]:
    entries = tomllib.loads(metadata.read_text(encoding="utf-8")).get("report", [])
    by_file: dict[str, list[dict]] = {}
    for entry in entries:
        by_file.setdefault(entry["file"], []).append(entry)
    return by_file


def make(sources: list[Path], metadata: Path, out: Path, small: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    paper = SMALL_PAPER if small else "Letter"
    entries = report_titles(metadata)
    with tempfile.TemporaryDirectory(prefix="make_documents-") as tmp:
        work = Path(tmp)
        docx_files = []
        for source in sources:
            stem, lines = source.stem, paragraphs(source)
            metas = entries.get(source.name, [])
            title = " / ".join(m["title"] for m in metas) or stem
            words = "".join(f"{m['title']}{m['short_name']}{m['committee']}" for m in metas).replace("—", "")
            print_html(html_page(lines, title, words, paper), work / f"{stem}.html", out / f"{stem}.chromium.pdf")
            docx_path = out / f"{stem}.office.docx"
            office_docx(lines, title, words, docx_path, small)
            docx_files.append(docx_path)
        soffice("pdf", docx_files, out, work / "profile")
        soffice("doc", docx_files, work, work / "profile")
        for path in docx_files:
            shutil.move(work / f"{path.stem}.doc", out / f"{path.stem.removesuffix('.office')}.doc")
        columns = sources[1] if len(sources) > 1 else sources[0]
        metas = entries.get(columns.name, [])
        words = "".join(f"{m['title']}{m['short_name']}{m['committee']}" for m in metas).replace("—", "")
        title = " / ".join(m["title"] for m in metas) or columns.stem
        two_column_page(paragraphs(columns), title, words, paper, columns.stem, work, out)
        part_scanned(out / f"{sources[0].stem}.office.pdf", sources[0].stem, work, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, help="output directory (not with --small)")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="report files and reports.toml (default corpus/)")
    parser.add_argument("--small", action="store_true", help=f"tests/data/ files to {SMALL_OUT.relative_to(REPO)}/")
    args = parser.parse_args(argv)
    if args.small == bool(args.out):
        parser.error("give an output directory, or --small")
    if args.small:
        data = REPO / "tests" / "data"
        sources, metadata, out = [data / name for name in SMALL_FILES], data / "reports.toml", SMALL_OUT
    else:
        sources = sorted(args.corpus.glob("*.txt"))
        metadata, out = args.corpus / "reports.toml", args.out
    if not sources:
        parser.error(f"no .txt report files in {args.corpus}")
    make(sources, metadata, out, args.small)
    print(f"wrote {len(list(out.iterdir()))} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
