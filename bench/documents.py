"""The shipped reports as real PDFs vs as .txt: paragraphs rebuilt, retrieval quality, read time.

scripts/make_documents.py prints every corpus/ report through Chromium (browser header and
footer) and through LibreOffice (official-document layout, "— N —" footer) into a temp dir.
Each format becomes a corpus of its own, with corpus/reports.toml copied and `file` renamed
(the second report of a file still starts at its `starts_at` line, which must survive the
rebuild). Each corpus is indexed with `rag index`, the question files are run through
`rag search --jsonl --top-k 10` and scored by the shared score.py (R@5, MRR@10, any evidence
string, doc not checked). The .txt corpus is indexed and scored in the same run, so the
differences are the readers' alone.

One more row, for reference: the browser prints as the old reader gave them (pypdf's
extract_text, one printed line per line), indexed as .txt.

Also counted: source paragraphs that come back as one line of the read text (the honest test
of wrapping and page breaks), hits that hold page furniture (a URL, print date, "— 3 —",
"3/8"), and the time `read_document` takes per page.

    .venv/bin/python bench/documents.py                  # ~6 min on 2 cores
    .venv/bin/python bench/documents.py --documents DIR  # reuse PDFs made by make_documents.py DIR
    .venv/bin/python bench/documents.py --libraries      # the PDF library table of rag/readers/pdf.py
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from machine import print_run_header

ROOT = Path(__file__).resolve().parent.parent

CORPUS = ROOT / "corpus"
QUESTIONS = [Path("/work/shared/dev/questions.jsonl"), ROOT / "eval" / "questions.jsonl"]
SCORE = Path("/work/shared/tools/score.py")
FORMATS = ["chromium", "office", "doc"]  # doc: the LibreOffice .docx saved as Word 97-2003
# For reference, not a target: the browser prints as the old reader (pypdf's extract_text) gave them.
OLD_READER = "chromium-pypdf"
FURNITURE = re.compile(r"file://|https?://|\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d{2}|— ?\d+ ?—|(?<![\d.])\d+/\d+(?![\d.])|第\s*\d+\s*页")
CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff，。、；：“”（）])[ \t]+(?=[\u4e00-\u9fff，。、；：“”（）])")
TARGET_POINTS = 3.0


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def make_documents(out: Path) -> None:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_documents.py"), str(out)], check=True, capture_output=True)
    print(f"made the documents in {time.perf_counter() - started:.0f} s", flush=True)


def make_corpus(kind: str, documents: Path, into: Path) -> Path:
    corpus = into / f"corpus-{kind}"
    corpus.mkdir()
    metadata = (CORPUS / "reports.toml").read_text(encoding="utf-8")
    for source in sorted(CORPUS.glob("*.txt")):
        if kind == OLD_READER:
            from pypdf import PdfReader

            name = f"{source.stem}.{kind}.txt"
            pages = PdfReader(documents / f"{source.stem}.chromium.pdf").pages
            (corpus / name).write_text("\n\n".join((page.extract_text() or "").strip() for page in pages), encoding="utf-8")
        else:
            name = {"txt": source.name, "doc": f"{source.stem}.doc"}.get(kind, f"{source.stem}.{kind}.pdf")
            shutil.copy(source if kind == "txt" else documents / name, corpus / name)
        metadata = metadata.replace(f'file = "{source.name}"', f'file = "{name}"')
    (corpus / "reports.toml").write_text(metadata, encoding="utf-8")
    return corpus


def reading(corpus: Path) -> dict:
    """Read time per page, and how many .txt paragraphs come back as one line of the read text."""
    import pymupdf

    from rag.readers import read_document

    seconds = pages = matched = total = 0
    paths = sorted(corpus.glob("*.pdf"))
    if not paths:
        return {}
    read_document(paths[0])  # imports out of the timing
    for path in paths:
        started = time.perf_counter()
        text = read_document(path).text
        seconds += time.perf_counter() - started
        pages += pymupdf.open(path).page_count
        read = {squeezed(line) for line in text.split("\n")}
        source = [squeezed(line) for line in (CORPUS / f"{path.name.split('.')[0]}.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
        matched += sum(line in read for line in source)
        total += len(source)
    return {"ms_per_page": 1000 * seconds / pages, "pages": pages, "matched": matched, "paragraphs": total}


def run_rag(*args: str, stdin: str | None = None) -> str:
    run = subprocess.run([sys.executable, "-m", "rag", *args], input=stdin, capture_output=True, text=True, cwd=ROOT)
    if run.returncode:
        sys.exit(f"rag {' '.join(args)} failed:\n{run.stderr[-2000:]}")
    return run.stdout


def evaluate(corpus: Path, index: Path, questions: Path, results: Path) -> dict:
    lines = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    stdin = "".join(json.dumps({"id": q["id"], "question": q["question"]}, ensure_ascii=False) + "\n" for q in lines)
    results.write_text(run_rag("search", "--jsonl", "--top-k", "10", "--corpus", str(corpus), "--index", str(index), stdin=stdin), encoding="utf-8")
    scored = subprocess.run(["python3", str(SCORE), str(questions), str(results), "--no-by-type", "--json"], capture_output=True, text=True, check=True)
    overall = json.loads(scored.stdout.strip().splitlines()[-1])["groups"]["overall"]
    hits = [hit["text"] for row in map(json.loads, results.read_text(encoding="utf-8").splitlines()) for hit in row.get("hits", [])]
    return {
        "recall": overall["recall"]["5"], "mrr": overall["mrr@10"],
        "furniture": sum(bool(FURNITURE.search(text)) for text in hits), "hits": len(hits),
    }


def bench(documents: Path | None) -> int:
    print_run_header()
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        work = Path(tmp)
        if documents is None:
            documents = work / "documents"
            make_documents(documents)
        rows, ok = [], True
        for kind in ["txt", *FORMATS, OLD_READER]:
            corpus = make_corpus(kind, documents, work)
            read = reading(corpus)
            started = time.perf_counter()
            run_rag("index", "--corpus", str(corpus), "--index", str(work / f"index-{kind}"))
            built = time.perf_counter() - started
            for questions in QUESTIONS:
                scores = evaluate(corpus, work / f"index-{kind}", questions, work / f"results-{kind}-{questions.parent.name}.jsonl")
                rows.append((kind, questions, scores, read, built))
        base = {q: s for kind, q, s, _, _ in rows if kind == "txt"}
        print("\n| format | questions | R@5 | MRR@10 | R@5 vs .txt | MRR@10 vs .txt | hits with furniture | "
              ".txt paragraphs as one line | read ms/page | index s |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for kind, questions, s, read, built in rows:
            d_recall, d_mrr = 100 * (s["recall"] - base[questions]["recall"]), 100 * (s["mrr"] - base[questions]["mrr"])
            if kind in FORMATS:
                ok &= d_recall >= -TARGET_POINTS and d_mrr >= -TARGET_POINTS and s["furniture"] == 0
            lines = f"{read['matched']}/{read['paragraphs']}" if read else "–"
            per_page = f"{read['ms_per_page']:.1f} ({read['pages']} pages)" if read else "–"
            print(f"| {kind} | {questions.parent.name}/{questions.name} | {s['recall']:.3f} | {s['mrr']:.3f} | "
                  f"{d_recall:+.1f} | {d_mrr:+.1f} | {s['furniture']}/{s['hits']} | {lines} | {per_page} | {built:.0f} |")
    print(f"\ntarget (each format within {TARGET_POINTS:g} points of .txt on R@5 and MRR@10, no furniture in hits): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def libraries(documents: Path | None) -> int:
    """Per-page time and text quality of each PDF library on the printed reports."""
    print_run_header()
    with tempfile.TemporaryDirectory(prefix="bench-libraries-") as tmp:
        if documents is None:
            documents = Path(tmp)
            make_documents(documents)
        pdfs = sorted(p for kind in FORMATS for p in documents.glob(f"*.{kind}.pdf"))  # no .doc among them
        print(f"\n{len(pdfs)} PDFs of corpus/ ({', '.join(FORMATS)})\n")
        print("| library (call) | ms/page | gives | source chars found | spaces inside CJK text |")
        print("|---|---|---|---|---|")
        for name, gives, read in EXTRACTORS:
            read(pdfs[0])  # imports and caches out of the timing
            seconds = pages = found = total = spaces = 0
            for pdf in pdfs:
                started = time.perf_counter()
                texts = read(pdf)
                seconds += time.perf_counter() - started
                pages += len(texts)
                source = (CORPUS / f"{pdf.name.split('.')[0]}.txt").read_text(encoding="utf-8")
                got, want = squeezed("\n".join(texts)), squeezed(source)
                matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
                found += sum(block.size for block in matcher.get_matching_blocks())
                total += len(want)
                spaces += max(0, len(CJK_SPACE.findall("\n".join(texts))) - len(CJK_SPACE.findall(source)))
            print(f"| {name} | {1000 * seconds / pages:.1f} | {gives} | {found / total:.1%} | {spaces} |")
    return 0


def _pypdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    return ["".join(box.get_text() for box in page if isinstance(box, LTTextContainer)) for page in extract_pages(path)]


def _pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return ["\n".join(line["text"] for line in page.extract_text_lines()) for page in pdf.pages]


def _pymupdf(mode: str):
    def read(path: Path) -> list[str]:
        import pymupdf

        def text(span: dict) -> str:
            return span["text"] if mode == "dict" else "".join(char["c"] for char in span["chars"])

        with pymupdf.open(path) as document:
            return [
                "\n".join("".join(map(text, line["spans"])) for block in page.get_text(mode)["blocks"] for line in block.get("lines", ()))
                for page in document
            ]

    return read


def _rows(path: Path) -> list[str]:
    import pymupdf

    from rag.readers.pdf import _page_lines

    with pymupdf.open(path) as document:
        return ["\n".join(line.text for line in _page_lines(page)) for page in document]


def _read_pdf(path: Path) -> list[str]:
    from rag.readers.pdf import read_pdf

    document = read_pdf(path)
    ends = [*document.page_starts[1:], len(document.text)]
    return [document.text[start:end] for start, end in zip(document.page_starts, ends)]


EXTRACTORS = [
    ("pypdf `extract_text`", "text only", _pypdf),
    ("pdfminer.six `extract_pages`", "line boxes, size, font name", _pdfminer),
    ("pdfplumber `extract_text_lines`", "line and char boxes, size, font name", _pdfplumber),
    ('PyMuPDF `get_text("dict")`', "line boxes, size, bold flag", _pymupdf("dict")),
    ('PyMuPDF `get_text("rawdict")`', "char boxes, size, bold flag", _pymupdf("rawdict")),
    ("rawdict, rows built by rag.readers.pdf", "Lines", _rows),
    ("rag.readers.pdf.read_pdf (rows + layout.rebuild)", "paragraphs", _read_pdf),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=Path, help="a folder made by scripts/make_documents.py (default: make one)")
    parser.add_argument("--libraries", action="store_true", help="measure pypdf, pdfminer.six, pdfplumber and PyMuPDF instead")
    args = parser.parse_args(argv)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's Type 3 fonts: one warning a glyph
    return libraries(args.documents) if args.libraries else bench(args.documents)


if __name__ == "__main__":
    sys.exit(main())
