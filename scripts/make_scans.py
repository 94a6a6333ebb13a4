"""Report .txt files -> scanned PDFs and a photographed page, made with real tools, for OCR tests and bench/ocr.py.

Chromium prints the report's HTML page as scripts/make_documents.py makes it (headings, and the
browser's date/title/URL/page-number furniture), pdftoppm renders each page at 110 dpi, and
Pillow tilts (0.5-1.2°), blurs, greys and speckles it as a flatbed scan would; the pages are
saved as an image-only PDF. A photo is a page seen at a slight angle under uneven light. A
mixed PDF keeps the text layer of every page but page 2, which is scanned. The first paragraphs
of a report are also typeset with full-width punctuation ("，；（）" where the report has ", ; ( )"),
as most reports are, and scanned on A5: OCR must tell the two apart by their printed width. The
degradation is seeded by file name, so it is the same each run (Chromium's header still carries
the print date).

    .venv/bin/python scripts/make_scans.py --small    # tests/files/scans/: 3 pages and a short one to OCR, ~0.6 MB
    .venv/bin/python scripts/make_scans.py OUT_DIR    # every corpus/*.txt scanned, for bench/ocr.py

`char_accuracy` is how the tests and bench/ocr.py score OCR'd text against its source.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # make_documents, when imported from bench/ or tests/
DPI = 110
FULL_WIDTH_PARAGRAPHS = 5
TRADITIONAL_PARAGRAPHS = 4  # of tests/data/zhenjiang.txt: on A5, a page and a few lines  # of tests/data/jiangyan.txt: title, two headings, two paragraphs with ", ; ( )"


def print_pdf(source: Path, out: Path, metadata: Path, paper: str = "A4") -> Path:
    """`source`'s paragraphs as the HTML page scripts/make_documents.py prints, printed to `out` by Chromium."""
    import make_documents

    lines = make_documents.paragraphs(source)
    metas = make_documents.report_titles(metadata).get(source.name, [])
    title = " / ".join(m["title"] for m in metas) or source.stem
    words = "".join(f"{m['title']}{m['short_name']}{m['committee']}" for m in metas).replace("—", "")
    page = make_documents.html_page(lines, title, words, paper)
    make_documents.print_html(page, out.with_suffix(".html"), out)
    return out


def render(pdf: Path, dpi: int = DPI) -> list[Image.Image]:
    """Each page of `pdf` as a greyscale image, rendered by poppler's pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), f"{tmp}/page"], check=True, timeout=300)
        return [Image.open(path).copy() for path in sorted(Path(tmp).glob("page-*.png"), key=_page_number)]


def _page_number(path: Path) -> int:
    return int(re.search(r"(\d+)$", path.stem).group(1))


def scan(page: Image.Image, rng: random.Random) -> Image.Image:
    """A flatbed scan of a printed page: tilted, slightly out of focus, grey paper, grey ink, sensor noise."""
    angle = rng.choice((-1, 1)) * rng.uniform(0.5, 1.2)
    tilted = page.convert("L").rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    blurred = tilted.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(blurred, dtype=np.float32)
    ink, paper = rng.uniform(25, 45), rng.uniform(228, 240)
    pixels = ink + pixels * (paper - ink) / 255
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 5, pixels.shape)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8), "L")


def photo(page: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of a printed page: seen a little from below and to the side, lit unevenly, warm light."""
    width, height = page.size
    dx, dy = ([rng.uniform(0.01, 0.035) * span for _ in range(4)] for span in (width, height))
    # Each corner pulled in by its own amount: the camera is neither square to the page nor centred.
    corners = [(dx[0], dy[0]), (width - dx[1], dy[1] * 0.5), (width - dx[2] * 0.4, height - dy[2]), (dx[3] * 0.6, height - dy[3] * 0.3)]
    square = [(0, 0), (width, 0), (width, height), (0, height)]
    seen = page.convert("L").transform(
        page.size, Image.Transform.PERSPECTIVE, _perspective(corners, square),
        resample=Image.Resampling.BICUBIC, fillcolor=90,
    )
    pixels = np.asarray(seen.filter(ImageFilter.GaussianBlur(0.7)), dtype=np.float32)
    rows, cols = np.mgrid[0:height, 0:width]
    light = 1.0 - 0.22 * (rows / height * 0.6 + cols / width * 0.4)  # a lamp above the top-left corner
    grey = 20 + pixels * light * 0.9
    warm = np.stack([grey, grey * 0.97, grey * 0.88], axis=-1)
    return Image.fromarray(np.clip(warm, 0, 255).astype(np.uint8), "RGB").quantize(colors=32).convert("RGB")


def _perspective(target: list[tuple[float, float]], source: list[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform: the output pixel at each `target` corner shows the page's `source` corner."""
    rows = []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows, dtype=float), np.array(source, dtype=float).reshape(8)).tolist()


def save_pdf(pages: list[Image.Image], out: Path) -> Path:
    """An image-only PDF, as a scanner writes it: one JPEG per page, no text layer."""
    pages[0].save(out, save_all=True, append_images=pages[1:], resolution=DPI, quality=75)
    return out


def mixed_pdf(text_pdf: Path, scanned_pdf: Path, out: Path) -> Path:
    """Every page with its text layer but page 2, which is scanned: a report where one page was replaced by its scan."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for number, page in enumerate(PdfReader(text_pdf).pages, start=1):
        writer.add_page(PdfReader(scanned_pdf).pages[1] if number == 2 else page)
    with out.open("wb") as file:
        writer.write(file)
    return out


def _rng(name: str) -> random.Random:
    return random.Random(zlib.crc32(name.encode("utf-8")))


def scan_file(source: Path, metadata: Path, out_dir: Path) -> Path:
    """`source` printed on A4 and scanned into out_dir/<stem>.pdf."""
    with tempfile.TemporaryDirectory() as tmp:
        printed = print_pdf(source, Path(tmp) / f"{source.stem}.pdf", metadata)
        rng = _rng(source.name)
        return save_pdf([scan(page, rng) for page in render(printed)], out_dir / f"{source.stem}.pdf")


_FULL_WIDTH = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"})


def full_width(text: str) -> str:
    """The same text with its ASCII punctuation typeset full-width, as most reports have it."""
    return text.translate(_FULL_WIDTH)


def make_small(out_dir: Path) -> list[Path]:
    """The test set: a one-page scan, a photo of a page, a PDF of three pages whose second is a scan,
    and a short A5 scan of the first paragraphs of the one-page scan's report, punctuated full-width."""
    data = ROOT / "tests" / "data"
    metadata = data / "reports.toml"
    out_dir.mkdir(parents=True, exist_ok=True)
    made = [scan_file(data / "jiangyan.txt", metadata, out_dir)]
    with tempfile.TemporaryDirectory() as tmp:
        paragraphs = [line for line in (data / "jiangyan.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
        source = Path(tmp) / "jiangyan_fullwidth.txt"
        source.write_text(full_width("\n".join(paragraphs[:FULL_WIDTH_PARAGRAPHS])) + "\n", encoding="utf-8")
        printed = print_pdf(source, Path(tmp) / "jiangyan_fullwidth.pdf", metadata, "A5")
        rng = _rng(source.name)
        made.append(save_pdf([scan(page, rng) for page in render(printed)], out_dir / "jiangyan_fullwidth.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        # On A5 jinhu_hongze runs over three pages: pages 1 and 3 keep their text layer.
        printed = print_pdf(data / "jinhu_hongze.txt", Path(tmp) / "jinhu_hongze.pdf", metadata, "A5")
        pages = render(printed)
        rng = _rng("jinhu_hongze.txt")
        scanned = save_pdf([scan(page, rng) for page in pages], Path(tmp) / "scanned.pdf")
        made.append(mixed_pdf(printed, scanned, out_dir / "jinhu_hongze_mixed.pdf"))
        photo_path = out_dir / "jinhu_hongze_photo.png"
        photo(pages[0], rng).save(photo_path, optimize=True)
        made.append(photo_path)
    return made + [make_traditional(out_dir)]


def make_traditional(out_dir: Path) -> Path:
    """The last paragraphs of the Traditional report scanned on A5: a full page, then a short
    one that holds little to tell its script by."""
    data = ROOT / "tests" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        paragraphs = [line for line in (data / "zhenjiang.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
        source = Path(tmp) / "zhenjiang_tail.txt"
        source.write_text("\n".join(paragraphs[-TRADITIONAL_PARAGRAPHS:]) + "\n", encoding="utf-8")
        printed = print_pdf(source, Path(tmp) / "zhenjiang_tail.pdf", data / "reports.toml", "A5")
        rng = _rng(source.name)
        return save_pdf([scan(page, rng) for page in render(printed)], out_dir / "zhenjiang_tail.pdf")


def make_corpus(corpus: Path, out_dir: Path) -> list[Path]:
    """Every corpus/*.txt scanned into out_dir/<stem>.pdf (corpus/ is only read)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [scan_file(path, corpus / "reports.toml", out_dir) for path in sorted(corpus.glob("*.txt"))]


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"',
                         "‘": "'", "’": "'", "`": "'", "´": "'"})
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """The text compared: NFKC (full-width letters, digits and punctuation to ASCII), quotes folded, no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).translate(_QUOTES))


def char_accuracy(read: str, truth: str) -> float:
    """1 - edits / len(truth) after `fold`, where text read before or after the whole truth costs nothing.

    Free ends let a page's furniture (a running header above, a page number below) go
    unscored; furniture between two paragraphs still counts as inserted characters.
    """
    read, truth = fold(read), fold(truth)
    if not truth:
        return 1.0
    codes = np.array([ord(c) for c in read], dtype=np.int64)
    row = np.zeros(len(read) + 1, dtype=np.int64)  # aligning nothing of the truth costs nothing anywhere
    steps = np.arange(len(read) + 1)
    for i, char in enumerate(truth, start=1):
        best = np.empty_like(row)
        best[0] = i
        best[1:] = np.minimum(row[1:] + 1, row[:-1] + (codes != ord(char)))
        # A run of inserted read characters: best[j] = min over k <= j of best[k] + (j - k).
        row = np.minimum.accumulate(best - steps) + steps
    return max(0.0, 1.0 - int(row.min()) / len(truth))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help="where the corpus scans go (default run)")
    parser.add_argument("--small", action="store_true", help="write the test set to tests/files/scans/")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    for tool in ("chromium", "pdftoppm"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is missing: apt-get install chromium poppler-utils fonts-wqy-zenhei")
    if args.small:
        made = make_small(args.out or ROOT / "tests" / "files" / "scans")
    elif args.out:
        made = make_corpus(args.corpus, args.out)
    else:
        parser.error("give an output directory, or --small")
    for path in made:
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
