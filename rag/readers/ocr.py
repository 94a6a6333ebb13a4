"""Scanned PDF pages and photos (.png .jpg .jpeg) -> layout Pages of OCR'd lines, and an image -> a Document.

RapidOCR (`rapidocr-onnxruntime`, PP-OCRv4 Chinese detection and recognition models shipped in
the wheel) reads each page; nothing is downloaded. A PDF page is rendered by PyMuPDF at
`RENDER_DPI`; line boxes are given in PDF points, origin top-left, as a text layer's are, so
`rag.readers.layout.rebuild` makes paragraphs of both alike.

Settings, measured with bench/ocr.py and interleaved runs (every page read by each setting in
turn) on the scans scripts/make_scans.py makes of corpus/ (17 A4 pages printed by Chromium,
scanned at 110 dpi, tilted 0.5-1.2°, blurred), on 2 idle cores:
- RapidOCR's defaults: 3.3 s a page (3.5-3.8 s on denser pages); recognition is ~90% of it.
- The angle classifier is off: it turned some upright lines by 180° (accuracy 91-95% with it,
  96.5% without, on raw box order) and costs CPU. A page scanned upside down is caught as a
  whole instead (`_read_upright`).
- Recognition batches of 2 lines, not 6: 5.2 CPU-s a page instead of 6.5 (16: three times more).
  Together: 2.6 s a page on the same pages, 21% less than the defaults.
- RENDER_DPI 110, detection at the rendered size: at 150 dpi detection took 6x longer and
  accuracy fell 0.1-0.2 points; recognition scales every line to 48 px anyway.
- Recognition height kept at 48 px: 40 px is 25% faster (1.65 s a page) but reads 0.1 points
  worse on Simplified pages and 1.7 points worse on the Traditional report.
Result (bench/ocr.py, load 0.7): 2.17 s a page on average, 3.58 s for the densest page (1,700
characters); character accuracy 99.4-99.8% on the four Simplified reports, 93.8% on the
Traditional one (94.9% once both are folded to Simplified): PP-OCRv4's dictionary lacks many
Traditional characters, and drops them. rag.readers.ocr_lines turns the boxes into Lines.

RapidOCR's CTC decoder is replaced by rag.readers.ocr_decode's, which also keeps where each
character was read along its box (for telling a narrow "," from a full-width "，" by its printed
width, in rag.readers.ocr_lines) and reads a character scored below blank between two read ones.
Timed against RapidOCR's own, every page read by each in turn (2026-12-02, load 3.5-4.5): as
fast (0.97 of its time). Character accuracy 99.45-99.85% on the Simplified reports, 94.8% on the
Traditional one (95.9% folded): 45 of its 169 Traditional-only characters (120 of its 2,098
characters) are not in the recogniser's dictionary of 6,625, and no detection or recognition
setting tried (text_score 0.3, box_thresh 0.3, unclip_ratio 2.0, 150 dpi) changed its
accuracy by more than 0.15 points. rag.readers.ocr_script, which sets a Traditional document's
characters right over all its pages, brings it to 96.8% (see there).

OCR takes seconds a page, and offsets and quotes depend on the exact text read, so each page
is cached by the sha256 of the file's bytes, its page number and `SETTINGS`, as JSON under
$RAG_OCR_CACHE or ~/.cache/rag/ocr (the one setting this library reads from the environment:
indexing, the CLI and the app must all find the same cache). Reading the same file again
gives the same text without running OCR. The cache keeps what the engine read (boxes, text,
scores, places, runners-up); the corrections of rag.readers.ocr_lines run on every read, so changing them
needs no new OCR.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from rag.errors import BadDocument
from rag.readers.layout import Page, rebuild
from rag.readers.ocr_decode import RECOVER_SCORE, Decoder
from rag.readers.ocr_lines import Box, as_printed, page_lines
from rag.readers.ocr_script import in_document_script
from rag.readers.pdf import PYMUPDF_LOCK
from rag.readers.plain import one_line
from rag.records import Document

log = logging.getLogger(__name__)

RENDER_DPI = 110
SETTINGS = {
    "version": 2,  # bump when the reading changes in a way SETTINGS does not show
    "dpi": RENDER_DPI,
    "engine": {"rec_batch_num": 2, "text_score": 0.5},
    # RapidOCR's defaults, given with each call because a call with any keyword resets them.
    "detection": {"box_thresh": 0.5, "unclip_ratio": 1.6},
    "use_cls": False,
    "places": True,  # where each character was read along its box, kept with the box
    "runners": True,  # and the character scored next in its column
    "recover": RECOVER_SCORE,  # rag.readers.ocr_decode
}
# Below this mean recognition score a page is tried upside down as well.
UPRIGHT_SCORE = 0.8
_LOCK = threading.Lock()  # one page at a time: OCR already keeps every core busy

Progress = Callable[[int, int], None]


def read_image(path: Path) -> Document:
    """A photo or scan of one page (.png .jpg .jpeg) read by OCR, its lines made into paragraphs."""
    path = Path(path)
    key = _file_key(path)
    page = _cached(key, 1)
    if page is None:
        pixels, scale = _load_image(path)
        height, width = pixels.shape
        page = _store(key, _ocr_page(path, 1, pixels, scale, (width * scale, height * scale)))
    return rebuild(_pages([page]))


def ocr_pdf_pages(path: Path, numbers: list[int], progress: Progress | None = None) -> list[Page]:
    """The listed pages (1-based) of a PDF read by OCR, in the order given.

    `progress(done, total)` is called after each page that had to be OCR'd; by default a
    bar "OCR 3/8 页" on stderr. Pages found in the cache are not counted.
    """
    path = Path(path)
    key = _file_key(path)
    pages = {number: _cached(key, number) for number in numbers}
    missing = [number for number, page in pages.items() if page is None]
    if missing:
        report = progress or _progress_bar(path, len(missing))
        for done, (number, image, scale, size) in enumerate(_render(path, missing), start=1):
            pages[number] = _store(key, _ocr_page(path, number, image, scale, size))
            report(done, len(missing))
    return _pages([pages[number] for number in numbers])


def cache_dir() -> Path:
    """Where OCR'd pages are kept: $RAG_OCR_CACHE, else ~/.cache/rag/ocr."""
    return Path(os.environ.get("RAG_OCR_CACHE") or Path.home() / ".cache" / "rag" / "ocr")


@functools.cache
def _engine():
    """RapidOCR with `SETTINGS`, loaded once: its three models take about a second."""
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(**SETTINGS["engine"])
    engine.text_rec.postprocess_op = Decoder(engine.text_rec.postprocess_op.character)
    # With word boxes asked for, RapidOCR hands the decoder's rows to this; they already say
    # where each character was read, which its own word boxes (sorted, overlapped) lose.
    engine.cal_rec_boxes = lambda crops, boxes, rows: [[text, score, [], read] for text, score, read in rows]
    return engine


def _recognise(path: Path, pixels) -> list[Box]:
    """RapidOCR on a greyscale array: boxes in pixels, in the order the engine found them."""
    try:
        engine = _engine()
    except ImportError:
        raise BadDocument(
            f"{path}: is a scan or photo and needs OCR, which is not installed: pip install rapidocr-onnxruntime"
        ) from None
    with _LOCK:
        try:
            found, _ = engine(
                pixels, use_cls=SETTINGS["use_cls"], return_word_box=SETTINGS["places"],
                text_score=SETTINGS["engine"]["text_score"], **SETTINGS["detection"],
            )
        except Exception as exc:  # onnxruntime or OpenCV on a page they cannot take
            raise BadDocument(f"{path}: OCR failed on it ({one_line(exc)})") from exc
    boxes = []
    for corners, text, score, *rest in found or ():
        places, runners = rest[1] if len(rest) >= 2 and len(rest[1][0]) == len(text) else ((), ())
        lead = len(text) - len(text.lstrip())
        text = text.strip()
        if text:
            places = tuple(float(at) for at in places[lead : lead + len(text)])
            runners = tuple((char, float(p)) for char, p in runners[lead : lead + len(text)])
            boxes.append(Box(tuple((float(x), float(y)) for x, y in corners), text, float(score), places, runners))
    return boxes


def _read_upright(path: Path, pixels) -> list[Box]:
    """The boxes of a page as it reads the right way up: a page scanned upside down reads as noise.

    A turned page's boxes are given on the turned page, which is what a reader of it sees.
    """
    boxes = _recognise(path, pixels)
    if boxes and _mean_score(boxes) >= UPRIGHT_SCORE:
        return boxes
    turned = _recognise(path, pixels[::-1, ::-1].copy())
    return turned if _read_chars(turned) > _read_chars(boxes) else boxes


def _mean_score(boxes: list[Box]) -> float:
    weights = [len(box.text) for box in boxes]
    return sum(box.score * w for box, w in zip(boxes, weights)) / sum(weights) if sum(weights) else 0.0


def _read_chars(boxes: list[Box]) -> float:
    """Characters read, weighted by how sure the recogniser was of them."""
    return sum(box.score * len(box.text) for box in boxes)


def _ocr_page(path: Path, number: int, pixels, scale: float, size: tuple[float, float]) -> dict:
    """One page's boxes in points (pixels times `scale`), ready for the cache."""
    boxes = _read_upright(path, pixels)
    return {
        "number": number,
        "width": size[0],
        "height": size[1],
        "boxes": [
            [[[round(x * scale, 2), round(y * scale, 2)] for x, y in b.corners], b.text, round(b.score, 4), list(b.places),
             [list(runner) for runner in b.runners]]
            for b in boxes
        ],
    }


def _load_image(path: Path):
    """Greyscale pixels, turned as the EXIF says, transparency on white paper; and points per pixel.

    An image without a resolution is taken to be 72 dpi: one pixel, one point.
    """
    import numpy as np
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except Exception as exc:  # Pillow raises OSError, but also SyntaxError, ValueError, struct.error, ...
        raise BadDocument(f"{path}: not a readable image ({one_line(exc)})") from exc
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    dpi = float((opened.info.get("dpi") or (72, 72))[0] or 72)
    return np.asarray(image.convert("L")), 72 / dpi if 30 <= dpi <= 1200 else 1.0


def _render(path: Path, numbers: list[int]):
    """(number, greyscale pixels, points per pixel, page size in points) for each listed page."""
    try:
        import pymupdf
    except ImportError:
        raise BadDocument(f"{path}: has scanned pages; rendering them for OCR needs PyMuPDF: pip install pymupdf") from None
    import numpy as np

    # PyMuPDF is used under its lock, page by page, and let go while a page is OCR'd.
    with PYMUPDF_LOCK:
        try:
            document = pymupdf.open(path)
        except Exception as exc:  # PyMuPDF raises its own FileDataError, RuntimeError, ...
            raise BadDocument(f"{path}: not a valid PDF ({one_line(exc)})") from exc
    try:
        for number in numbers:
            with PYMUPDF_LOCK:
                if not 1 <= number <= document.page_count:
                    raise ValueError(f"{path}: page {number} asked for, the PDF has {document.page_count}")
                page = document[number - 1]
                pixmap = page.get_pixmap(dpi=RENDER_DPI, colorspace=pymupdf.csGRAY, alpha=False)
                pixels = np.frombuffer(pixmap.samples, np.uint8).reshape(pixmap.height, pixmap.stride)[:, : pixmap.width]
                size, scale = (page.rect.width, page.rect.height), page.rect.width / pixmap.width
            yield number, pixels, scale, size
    finally:
        with PYMUPDF_LOCK:
            document.close()


def _pages(cached: list[dict]) -> list[Page]:
    """Pages as the cache keeps them -> layout Pages, with what the recogniser is known to get
    wrong set right: on each page the width of its marks, over all of them the script."""
    boxes = [
        as_printed([
            Box(tuple((x, y) for x, y in corners), text, score, tuple(places), tuple((char, p) for char, p in runners))
            for corners, text, score, places, runners in page["boxes"]
        ])
        for page in cached
    ]
    return [
        Page(number=page["number"], width=page["width"], height=page["height"], lines=tuple(page_lines(page_boxes, (page["width"] / 2, page["height"] / 2))))
        for page, page_boxes in zip(cached, in_document_script(boxes))
    ]


def _file_key(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise BadDocument(f"{path}: cannot be read ({one_line(exc)})") from exc
    settings = hashlib.sha256(json.dumps(SETTINGS, sort_keys=True).encode()).hexdigest()[:12]
    return f"{digest.hexdigest()}-{settings}"


def _cache_path(key: str, number: int) -> Path:
    return cache_dir() / key[:2] / f"{key}-p{number}.json"


def _cached(key: str, number: int) -> dict | None:
    """The page as the cache keeps it; None when it is not there or unreadable (then it is OCR'd again)."""
    try:
        cached = json.loads(_cache_path(key, number).read_text(encoding="utf-8"))
        float(cached["width"]) + float(cached["height"]) + int(cached["number"])
        for corners, text, score, places, runners in cached["boxes"]:
            [(float(x), float(y)) for x, y in corners], text.strip(), float(score), [float(at) for at in places]
            [(char.strip(), float(p)) for char, p in runners]
        return cached
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store(key: str, cached: dict) -> dict:
    """Writes the page aside and renames it into place, so a reader never sees half a file."""
    target = _cache_path(key, cached["number"])
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, suffix=".tmp", delete=False) as file:
            json.dump(cached, file, ensure_ascii=False)
        os.replace(file.name, target)
    except OSError as exc:  # a read-only home: the page is still read, only not kept
        log.warning("OCR cache %s not written: %s", target.parent, one_line(exc))
    return cached


def _progress_bar(path: Path, total: int) -> Progress:
    from tqdm import tqdm

    bar = tqdm(total=total, desc=f"OCR {path.name}", unit="页", file=sys.stderr, leave=False,
               bar_format="{desc} {n_fmt}/{total_fmt} 页 [{elapsed}<{remaining}]")

    def report(done: int, total: int) -> None:
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return report
