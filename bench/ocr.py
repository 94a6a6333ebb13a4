"""Scanned reports read by OCR: seconds a page, character accuracy, and retrieval from the scans vs from the .txt.

Every corpus/*.txt is printed and scanned by scripts/make_scans.py into a temporary directory,
OCR'd page by page with an empty cache (timed), read as a Document (from the cache), and scored
against its .txt with `char_accuracy` (NFKC, quotes folded, whitespace ignored). Then `rag index`
builds one index from the scans and one from the .txt files, `rag search --jsonl` runs each
question file against both, and /work/shared/tools/score.py scores the results.

score.py finds a gold string in a hit by exact substring after removing whitespace; the
corpus writes "," after Chinese text, which the recogniser reads as "，" unless
rag.readers.ocr_lines sets it right by its printed width. The "scan, width-folded" row scores
the same hits with their text NFKC-folded: retrieval, as opposed to the exact characters
quoted; where it beats the "scan" row, punctuation was written in the wrong width.

    .venv/bin/python bench/ocr.py [QUESTIONS.jsonl ...] [--keep DIR] [--ocr-only]

With --keep DIR the scans already in DIR/scans are read again (delete it to print them anew);
the OCR cache is always emptied first, so every page is OCR'd and timed.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from machine import print_run_header

from rag.readers import read_document
from rag.readers.ocr import SETTINGS, ocr_pdf_pages
from rag.text import normalize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from make_scans import char_accuracy, make_corpus  # noqa: E402 - scripts/ is no package

QUESTIONS = [Path("/work/shared/dev/questions.jsonl"), ROOT / "eval" / "questions.jsonl"]
SCORE = Path("/work/shared/tools/score.py")
RAG = [sys.executable, "-m", "rag"]
HELD_OUT_TRADITIONAL = ["000_2433891f3505c585.txt", "003_7e3b9d5873070fdf.txt"]


def ocr_table(scans: Path, corpus: Path) -> list[str]:
    """One row per report file: pages, seconds a page (mean, slowest), seconds in all, accuracy."""
    rows = ["| report | pages | s/page | slowest page s | s total | char accuracy | char accuracy (T→S folded) |",
            "|---|---|---|---|---|---|---|"]
    all_pages: list[float] = []
    for scan in sorted(scans.glob("*.pdf")):
        seconds = []
        for number in range(1, _page_count(scan) + 1):
            start = time.perf_counter()
            ocr_pdf_pages(scan, [number], progress=lambda done, total: None)
            seconds.append(time.perf_counter() - start)
        all_pages += seconds
        text = read_document(scan).text  # from the cache just written
        truth = (corpus / f"{scan.stem}.txt").read_text(encoding="utf-8")
        rows.append(
            f"| {scan.stem} | {len(seconds)} | {statistics.mean(seconds):.2f} | {max(seconds):.2f} | {sum(seconds):.1f} "
            f"| {char_accuracy(text, truth):.2%} | {char_accuracy(normalize(text), normalize(truth)):.2%} |"
        )
    rows.append(f"| all | {len(all_pages)} | {statistics.mean(all_pages):.2f} | {max(all_pages):.2f} | {sum(all_pages):.1f} | | |")
    return rows


def _page_count(pdf: Path) -> int:
    import pymupdf

    with pymupdf.open(pdf) as document:
        return document.page_count


def scan_corpus(corpus: Path, scans: Path) -> None:
    """Scans of corpus/ plus its reports.toml, each `file` renamed to its scan; scans already there are kept."""
    if not all((scans / f"{path.stem}.pdf").exists() for path in corpus.glob("*.txt")):
        make_corpus(corpus, scans)
    metadata = (corpus / "reports.toml").read_text(encoding="utf-8")
    (scans / "reports.toml").write_text(re.sub(r'(?m)^(file\s*=\s*"[^"]+)\.txt"', r'\1.pdf"', metadata), encoding="utf-8")


def traditional_table(work: Path) -> list[str]:
    """`ocr_table` of Traditional scans the OCR rules were not written on: reports of corpus/ in
    Simplified turned into Traditional (Taiwan standard) by OpenCC, then printed and scanned."""
    import opencc

    source, scans = work / "traditional", work / "traditional-scans"
    source.mkdir(exist_ok=True)
    shutil.copy(ROOT / "corpus" / "reports.toml", source / "reports.toml")  # titles for the browser's header
    convert = opencc.OpenCC("s2tw")
    for name in HELD_OUT_TRADITIONAL:
        text = (ROOT / "corpus" / name).read_text(encoding="utf-8")
        (source / name).write_text(convert.convert(text), encoding="utf-8")
    if not all((scans / f"{Path(name).stem}.pdf").exists() for name in HELD_OUT_TRADITIONAL):
        make_corpus(source, scans)
    return ocr_table(scans, source)


def build(corpus: Path, index: Path) -> float:
    """Seconds `rag index` took (with the OCR cache already filled for scans)."""
    start = time.perf_counter()
    subprocess.run([*RAG, "index", "--corpus", str(corpus), "--index", str(index)], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def search(corpus: Path, index: Path, questions: Path, out: Path) -> Path:
    lines = [json.dumps({"id": q["id"], "question": q["question"]}, ensure_ascii=False)
             for q in map(json.loads, questions.read_text(encoding="utf-8").splitlines()) if q]
    with out.open("w", encoding="utf-8") as results:
        subprocess.run([*RAG, "search", "--jsonl", "--corpus", str(corpus), "--index", str(index)],
                       input="\n".join(lines) + "\n", text=True, stdout=results, check=True, cwd=ROOT)
    return out


def width_folded(results: Path) -> Path:
    """The same results with each hit's text NFKC-folded ("，" -> ","), as the corpus .txt writes it."""
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        for hit in row.get("hits", []):
            hit["text"] = unicodedata.normalize("NFKC", hit.get("text", ""))
    folded = results.with_suffix(".folded.jsonl")
    folded.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return folded


def score(questions: Path, results: Path) -> str:
    run = subprocess.run([sys.executable, str(SCORE), str(questions), str(results), "--no-by-type"],
                         capture_output=True, text=True, check=True)
    return run.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, default=QUESTIONS)
    parser.add_argument("--keep", type=Path, help="write scans, cache, indexes and results here instead of a temp dir")
    parser.add_argument("--ocr-only", action="store_true", help="time and score the OCR; build and search nothing")
    args = parser.parse_args()
    print_run_header()
    print(f"OCR settings: {json.dumps(SETTINGS, ensure_ascii=False)}\n")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    try:
        corpus, scans = ROOT / "corpus", work / "scans"
        os.environ["RAG_OCR_CACHE"] = str(work / "ocr-cache")
        shutil.rmtree(work / "ocr-cache", ignore_errors=True)  # every page OCR'd, timed
        scan_corpus(corpus, scans)
        print("\n".join(ocr_table(scans, corpus)), "\n", flush=True)
        print("Held out, in Traditional characters:\n", "\n".join(traditional_table(work)), "\n", flush=True)
        if args.ocr_only:
            return
        sources = {"txt": corpus, "scan": scans}
        for label, source in sources.items():
            print(f"index from {label}: built in {build(source, work / f'index-{label}'):.0f} s", flush=True)
        for number, questions in enumerate(args.questions, start=1):
            print(f"\n## {questions}\n")
            for label, source in sources.items():
                # Both default files are called questions.jsonl: the number keeps their results apart.
                results = search(source, work / f"index-{label}", questions, work / f"{label}-{number}-{questions.stem}.jsonl")
                print(f"### {label}\n\n{score(questions, results)}\n")
                if label == "scan":
                    print(f"### scan, width-folded\n\n{score(questions, width_folded(results))}\n", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
