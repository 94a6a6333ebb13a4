"""manifest.json, written last into a build: finding it, reading it, checking it against the
configuration, and deciding from the corpus whether the index is stale."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from rag.config import SCHEMA_VERSION, Settings
from rag.errors import IndexCorrupt, IndexNotFound, ManifestMismatch
from rag.index.sentences import SENTENCE_TABLE
from rag.ingest import corpus_files, read_metadata

MANIFEST = "manifest.json"
CURRENT = "current"


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
    metadata = read_metadata(corpus_dir)
    fingerprint = {}
    for path in corpus_files(corpus_dir):
        digest = hashlib.sha256(path.read_bytes())
        metas = [asdict(m) for m in metadata.get(path.name, [])]
        digest.update(json.dumps(metas, ensure_ascii=False, sort_keys=True).encode())
        fingerprint[path.name] = "sha256:" + digest.hexdigest()
    return fingerprint


def is_stale(index_dir: Path, corpus_dir: Path, embedder_id: str, settings: Settings) -> bool:
    """True when there is no index yet or the corpus changed since it was built.

    Other chunking settings or rules, another vector store, or a build without sentence vectors
    (written before them: the update embeds only the sentences) also make it stale. A corrupt index, or one built
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
    if not (build_dir / SENTENCE_TABLE).exists():
        return True
    corpus = manifest["corpus"]
    indexed = {name: f["hash"] for name, f in (corpus["files"] | corpus.get("failed", {})).items()}
    return indexed != corpus_fingerprint(corpus_dir)
