"""Dense vector stores: L2-normalised vectors in, (scores, rows) out; FAISS in the process or Milvus.

Row i of a store is line i of chunks.jsonl. Inner product is cosine on normalised vectors.

`Settings.vector_store` picks one (rag.config refuses any other form):

    faiss            vectors.faiss in the build directory, searched in this process (default)
    milvus           a milvus-lite database, milvus.db, in the build directory
    milvus:<uri>     a collection per build on a Milvus server ("http://host:19530") or a
                     milvus-lite file shared by several indexes ("/srv/vectors.db")

Both follow the manifest's `dense` kind (rag.index.dense_kind): exact inner product up to
`exact_threshold` chunks, so the two stores return the same rows on the same vectors; above it
IVF with 8-bit codes, whose candidates FAISS re-scores exactly from vectors.npy on disk.

Milvus keeps the only copy of the vectors: an incremental build reads the kept rows' vectors
back from the collection instead of storing them a second time on local disk.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.errors import IndexCorrupt, RagError

VECTORS = "vectors.faiss"
EXACT = "vectors.npy"  # float32 rows beside an approximate index: exact scores and rebuilds
MILVUS_DB = "milvus.db"
_MILVUS_BATCH = 10_000  # rows per insert or get; a gRPC message stays far below its 64 MiB limit
# A filter admitting at most this many rows is searched exactly over them: IVF would probe
# lists that hold few of them and return fewer than asked.
_EXACT_FILTER_ROWS = 65_536


class VectorStore(Protocol):
    ntotal: int

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows), each (len(queries), k), best first; rows -1 where fewer than k exist.

        `allowed` is a boolean mask over rows; only rows where it is true are returned.
        """

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of `rows`, in that order (for incremental builds)."""


def write_store(spec: str, vectors: np.ndarray, dense: dict, build_dir: Path, build_id: str) -> dict:
    """Store `vectors` for the build being written in `build_dir`; return the manifest's `store` entry."""
    if spec == "faiss":
        _write_faiss(_build_faiss(vectors, dense), build_dir / VECTORS)
        if dense["type"] != "flat-ip":
            np.save(build_dir / EXACT, vectors)
        return {"spec": spec}
    uri = spec.removeprefix("milvus").removeprefix(":")
    collection = "rag_" + build_id.replace("-", "_")
    client = _milvus_client(_milvus_uri(uri, build_dir))
    from pymilvus import MilvusException

    try:
        _fill_collection(client, collection, vectors, dense)
    except MilvusException as exc:
        raise RagError(f"Milvus at {_milvus_uri(uri, build_dir)} failed: {exc.message}; the previous index is unchanged") from None
    finally:
        _close(client, uri, build_dir)
    return {"spec": spec, "uri": uri, "collection": collection}


def open_store(entry: dict, dense: dict, build_dir: Path) -> VectorStore:
    """The store a manifest names."""
    if entry["spec"] == "faiss":
        index = _read_faiss(build_dir / VECTORS)
        if dense["type"] == "flat-ip":
            return FaissStore(index)
        return FaissStore(index, _RowFile(build_dir / EXACT), dense["rerank"])
    uri = _milvus_uri(entry["uri"], build_dir)
    client = _milvus_client(uri)
    from pymilvus import MilvusException

    try:
        if not client.has_collection(entry["collection"]):
            raise IndexCorrupt(f"{uri} has no collection {entry['collection']}: run `rag index --rebuild`")
        client.load_collection(entry["collection"])
        return MilvusStore(client, entry["collection"], dense)
    except MilvusException as exc:
        raise RagError(f"Milvus at {uri} failed: {exc.message}") from None


def drop_store(entry: dict | None, spec: str, build_dir: Path) -> None:
    """Free what a removed build (or an abandoned one, `entry` None) holds outside its directory."""
    if spec == "faiss" or (entry or {}).get("spec", spec) == "faiss":
        return
    uri = (entry or {}).get("uri", spec.removeprefix("milvus").removeprefix(":"))
    if not uri:
        # milvus-lite in the build directory: the directory goes, its server thread must go too.
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(str(build_dir / MILVUS_DB))
        return
    collection = (entry or {}).get("collection") or "rag_" + build_dir.name.removeprefix(".staging-").replace("-", "_")
    client = _milvus_client(_milvus_uri(uri, build_dir))
    if client.has_collection(collection):
        client.drop_collection(collection)


class FaissStore:
    """A FAISS index in this process: exact inner product, or IVF-SQ8 plus `exact`, the float32 rows.

    With `exact`, the IVF candidates (`rerank` times as many as asked) are re-scored from it,
    so scores are exact and only the 8-bit codes need to stay in memory: a search reads a few
    dozen rows of vectors.npy from disk (or the page cache).
    """

    def __init__(self, index, exact: _RowFile | None = None, rerank: int = 1) -> None:
        self.index = index
        self.exact = exact
        self.rerank = rerank

    @property
    def ntotal(self) -> int:
        return self.index.ntotal

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.exact is None:
            params = None
            if allowed is not None:
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64)))
            return self.index.search(queries, k, params=params)
        if allowed is not None and np.count_nonzero(allowed) <= _EXACT_FILTER_ROWS:
            candidates = np.broadcast_to(np.flatnonzero(allowed), (len(queries), np.count_nonzero(allowed)))
        else:
            params = None
            if allowed is not None:
                params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(np.flatnonzero(allowed).astype(np.int64)))
            candidates = self.index.search(queries, k * self.rerank, params=params)[1]
        return _rescore(self.exact, queries, candidates, k)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return self.exact.all()[rows] if self.exact is not None else self.index.reconstruct_batch(rows)


class _RowFile:
    """Rows of a float32 .npy file, read with pread.

    Not a memory map: the kernel maps in the neighbourhood of every row a search touches
    (readahead), and after 200 searches a 10^6-row map held 1.4 GB of the process's RSS.
    """

    def __init__(self, path: Path) -> None:
        try:
            self._map = np.load(path, mmap_mode="r")
            self._fd = os.open(path, os.O_RDONLY)
        except (OSError, ValueError):
            raise IndexCorrupt(f"{path} is missing or corrupt: run `rag index --rebuild`") from None
        self._row_bytes = self._map.shape[1] * self._map.itemsize
        self._offset = self._map.offset

    def rows(self, rows: np.ndarray) -> np.ndarray:
        data = b"".join(os.pread(self._fd, self._row_bytes, self._offset + int(r) * self._row_bytes) for r in rows)
        return np.frombuffer(data, dtype=np.float32).reshape(len(rows), -1)

    def all(self) -> np.ndarray:
        """Every row, as a memory map: for rebuilds, which read them all once."""
        return self._map


def _rescore(exact: _RowFile, queries: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top `k` of each query's candidate rows (-1 = none) by exact inner product."""
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    rows = np.full((len(queries), k), -1, dtype=np.int64)
    for q, found in enumerate(candidates):
        found = np.unique(found[found >= 0])
        exact_scores = exact.rows(found) @ queries[q]
        top = np.lexsort((found, -exact_scores))[:k]
        scores[q, : len(top)], rows[q, : len(top)] = exact_scores[top], found[top]
    return scores, rows


class MilvusStore:
    """One Milvus collection: int64 primary key = row, FLOAT_VECTOR field with an IP index."""

    def __init__(self, client, collection: str, dense: dict) -> None:
        self.client = client
        self.collection = collection
        self.ntotal = int(client.get_collection_stats(collection)["row_count"])
        self._params = {"metric_type": "IP", "params": {"nprobe": dense["nprobe"]} if dense["type"] == "ivf-sq8" else {}}

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        expression = ""
        if allowed is not None:
            ids = np.flatnonzero(allowed)
            if not len(ids):
                return scores, rows
            expression = f"id in {ids.tolist()}"
        found = self.client.search(
            self.collection, data=np.asarray(queries, dtype=np.float32), limit=k, filter=expression,
            output_fields=["id"], search_params=self._params,
        )
        for q, hits in enumerate(found):
            for rank, hit in enumerate(hits):
                rows[q, rank], scores[q, rank] = hit["id"], hit["distance"]
        return scores, rows

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        by_id = {}
        for at in range(0, len(rows), _MILVUS_BATCH):
            for got in self.client.get(self.collection, ids=rows[at : at + _MILVUS_BATCH].tolist(), output_fields=["vector"]):
                by_id[got["id"]] = got["vector"]
        return np.array([by_id[int(r)] for r in rows], dtype=np.float32).reshape(len(rows), -1)


def _milvus_uri(uri: str, build_dir: Path) -> str:
    return uri or str(build_dir / MILVUS_DB)


def _milvus_client(uri: str):
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise RagError("the Milvus vector store needs pymilvus: pip install pymilvus milvus-lite") from None
    try:
        return MilvusClient(uri)
    except Exception as exc:  # pymilvus raises MilvusException or grpc errors when the server is unreachable
        raise RagError(f"cannot connect to Milvus at {uri}: {getattr(exc, 'message', exc)}") from None


def _close(client, uri: str, build_dir: Path) -> None:
    """Close the client; a milvus-lite server for the staging directory is stopped before it is renamed."""
    client.close()
    if not uri:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(str(build_dir / MILVUS_DB))


def _fill_collection(client, collection: str, vectors: np.ndarray, dense: dict) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=vectors.shape[1])
    index = client.prepare_index_params()
    if dense["type"] == "ivf-sq8":
        index.add_index("vector", index_type="IVF_SQ8", metric_type="IP", params={"nlist": dense["nlist"]})
    else:
        index.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection(collection, schema=schema, index_params=index)
    for at in range(0, len(vectors), _MILVUS_BATCH):
        part = vectors[at : at + _MILVUS_BATCH]
        client.insert(collection, [{"id": at + i, "vector": v} for i, v in enumerate(part)])
    client.flush(collection)


def _build_faiss(vectors: np.ndarray, dense: dict):
    import faiss

    dim = vectors.shape[1]
    if dense["type"] == "flat-ip":
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.index_factory(dim, f"IVF{dense['nlist']},SQ8", faiss.METRIC_INNER_PRODUCT)
        # k-means needs about 40 points a list; more only slows training down.
        sample = np.random.default_rng(0).permutation(len(vectors))[: 40 * dense["nlist"]]
        index.train(vectors[np.sort(sample)])
        index.nprobe = dense["nprobe"]
    index.add(vectors)
    return index


def _write_faiss(index, path: Path) -> None:
    """faiss.write_index, with a failed write raised as OSError carrying the disk's reason."""
    import faiss

    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:  # FAISS reports ENOSPC/EROFS as a C++ assertion text
        probe = _disk_error(path.parent)
        raise probe or OSError(f"writing {path.name} failed: {str(exc).splitlines()[0]}") from None


def _disk_error(directory: Path) -> OSError | None:
    """The OSError a small write into `directory` raises now, if any (names ENOSPC, EROFS, EACCES)."""
    probe = directory / f".probe-{uuid.uuid4().hex[:6]}"
    try:
        with open(probe, "wb") as f:
            f.write(b"\0" * 65536)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        return exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def _read_faiss(path: Path):
    import faiss

    if not path.exists():
        raise IndexCorrupt(f"{path} is missing: run `rag index --rebuild`")
    try:
        return faiss.read_index(str(path))
    except RuntimeError:
        raise IndexCorrupt(f"{path} is corrupt: run `rag index --rebuild`") from None
