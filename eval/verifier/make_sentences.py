#!/usr/bin/env python3
"""Build eval/verifier/sentences.jsonl: faithful and fabricated answer sentences over corpus/,
each with the passages its answer was given and the [n] it cites.

Passages are the real chunks of corpus/ (rag.ingest + rag.chunk, default Settings), so that a
benchmark sentence is checked against exactly what the language model would have been shown.
The rules are written down in eval/verifier/README.md; they use nothing of rag.verify, so the
benchmark does not grade the verifier against itself. Deterministic (seeded).

    .venv/bin/python eval/verifier/make_sentences.py           # rewrite sentences.jsonl
    .venv/bin/python eval/verifier/make_sentences.py --check   # exit 1 if it would change
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from fabrications import FABRICATIONS  # noqa: E402
from rules import FAITHFUL, Source  # noqa: E402
from rag.chunk import chunk_report  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.ingest import corpus_files, ingest_file, read_metadata  # noqa: E402
from rag.text import says_nothing, sentence_spans  # noqa: E402

OUT = HERE / "sentences.jsonl"
HAND = HERE / "handwritten.jsonl"
SEED = 20261204
DISTRACTORS = 2  # passages given to the "model" besides the cited ones, as retrieval would
PER_RULE = {"verbatim": 12, "subject": 16, "reorder": 16, "synonym": 20, "drop_clause": 16,
            "zh_numerals": 16, "t2s": 10, "s2t": 4, "fullwidth": 8, "approx_synonym": 5,
            "number": 50, "clause": 36, "committee": 36, "polarity": 36, "entity": 36, "citation": 8}
_MARKER = re.compile(r"\[(\d{1,2})\]")


def chunks():
    metas = read_metadata(ROOT / "corpus")
    found = []
    for path in corpus_files(ROOT / "corpus"):
        for report in ingest_file(path, metas.get(path.name)):
            found.extend(chunk_report(report, Settings()))
    return found


def sources(all_chunks) -> list[Source]:
    """Report sentences worth an answer sentence: 12-90 characters, not a run-in heading."""
    found = []
    for chunk in all_chunks:
        for start, end in sentence_spans(chunk.text):
            text = chunk.text[start:end]
            whole = len(re.split("[,，]", text)[0]) >= 4  # not the tail of a sentence cut by a page break ("盼,助力…")
            if 12 <= len(text) <= 90 and whole and not says_nothing(text, chunk.headings) and text[-1] in "。；":
                found.append(Source(text.rstrip("。；;"), chunk))
    return found


def passage(chunk) -> dict:
    return {"doc": chunk.doc, "report_id": chunk.report_id, "committee": chunk.committee,
            "short_name": chunk.short_name, "title": chunk.title, "year": chunk.year, "kind": chunk.kind,
            "headings": list(chunk.headings), "paragraph": chunk.paragraph, "start": chunk.start,
            "end": chunk.end, "text": chunk.text}


def record(label, kind, rule, sentence, cited, all_chunks, rng, source="", extra=()):
    """`sentence` carries [1]..[k] for `cited` (in order); distractors are added and all shuffled."""
    pool = [c for c in all_chunks if c not in cited and c not in extra]
    given = list(cited) + list(extra) + rng.sample(pool, DISTRACTORS)
    rng.shuffle(given)
    number = {i + 1: given.index(c) + 1 for i, c in enumerate(cited)}
    text = _MARKER.sub(lambda m: f"[{number.get(int(m[1]), int(m[1]))}]", sentence)
    return {"label": label, "kind": kind, "rule": rule, "sentence": text, "source": source,
            "passages": {str(i): passage(c) for i, c in enumerate(given, start=1)}}


def cite(text: str) -> str:
    return text.rstrip("。；;") + "[1]。"


def generated(all_chunks, rng) -> list[dict]:
    items = []
    candidates = sources(all_chunks)
    for label, table in (("faithful", FAITHFUL), ("fabricated", FABRICATIONS)):
        for rule, make in table.items():
            made = 0
            for source in rng.sample(candidates, len(candidates)):
                if made == PER_RULE[rule]:
                    break
                result = make(source, rng, candidates)
                if result is None:
                    continue
                sentence, extra, *variant = result
                kind = "faithful" if label == "faithful" else rule
                marked = sentence if "[" in sentence or rule == "citation" else cite(sentence)
                name = variant[0] if variant else rule
                items.append(record(label, kind, name, marked, [source.chunk], all_chunks, rng, source.text, extra))
                made += 1
    return items


def handwritten(all_chunks, rng) -> list[dict]:
    items = []
    for line in HAND.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        cited = []
        for find in row["cites"]:
            holding = [c for c in all_chunks if find in c.text]
            if not holding or len({c.report_id for c in holding}) > 1:
                raise SystemExit(f"handwritten: {find!r} must stand in one report, is in {len(holding)} chunks")
            cited.append(holding[0])  # overlapping chunks of one paragraph: the first
        kind = "faithful" if row["label"] == "faithful" else row["kind"]
        rule = "hand" if row.get("batch", 1) == 1 else f"hand{row['batch']}"
        items.append(record(row["label"], kind, rule, row["sentence"], cited, all_chunks, rng))
    return items


def build() -> list[dict]:
    rng = random.Random(SEED)
    all_chunks = chunks()
    items = handwritten(all_chunks, rng) + generated(all_chunks, rng)
    for number, item in enumerate(items, start=1):
        item["id"] = f"v{number:03d}"
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in build())
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("sentences.jsonl is up to date" if same else "sentences.jsonl differs from what the rules make")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} sentences to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
