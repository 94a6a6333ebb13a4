"""An uploaded report file -> a corpus file, indexed incrementally and swapped in; a failure changes nothing.

An upload is checked (name, size, the same bytes already in the corpus, readable as a report)
before the corpus is touched; it is then copied in under a staging name and renamed, the index
is brought up to date, and only then is the new index opened for the caller to serve.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.errors import BadDocument
from rag.index import BuildReport, Index, build_index
from rag.ingest import corpus_files, ingest_file
from rag.readers import SUPPORTED_SUFFIXES
from rag.retrieve import Retriever

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file that passed the checks needing no lock: its name is safe, its size allowed."""

    path: Path  # where the upload lies now, outside the corpus
    name: str  # the safe name it is to have in the corpus
    sha256: str


def check_upload(path: Path, name: str | None = None) -> Upload:
    """The upload at `path`, to be named `name` (default its own name); BadDocument for a bad name or size."""
    name = safe_file_name(name or path.name)
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise BadDocument(f"{name}: {size / 1048576:.1f} MB is over the {MAX_UPLOAD_BYTES // 1048576} MB upload limit")
    return Upload(path, name, _sha256(path))


def index_upload(
    upload: Upload, corpus_dir: Path, index_dir: Path, retriever: Retriever, settings: Settings
) -> tuple[BuildReport, Retriever]:
    """Add `upload` to the corpus and the index; return what the build did and a Retriever over the new index.

    The caller holds the one write lock of `corpus_dir` and `index_dir`. BadDocument (a
    duplicate, an unreadable file) and any build error leave the corpus and the index as they were.
    """
    for existing in corpus_files(corpus_dir):
        if _sha256(existing) == upload.sha256:
            raise BadDocument(f"{upload.name}: the same file is already in the corpus as {existing.name}")
    target = _free_path(corpus_dir, upload.name)
    _check_readable(upload, target.name)
    staged = target.with_name(f".{target.name}.part")
    shutil.copyfile(upload.path, staged)
    os.replace(staged, target)
    try:
        report = build_index(corpus_dir, index_dir, retriever.embedder, settings)
        if target.name in report.failed:
            raise BadDocument(report.failed[target.name])
    except Exception:
        target.unlink(missing_ok=True)
        raise
    index = Index.open(index_dir, retriever.embedder.id, settings)
    return report, Retriever(index, retriever.embedder, settings)


def _check_readable(upload: Upload, file_name: str) -> None:
    """Read the upload as a report under its corpus name, in a scratch directory, before the corpus is touched."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / file_name
        shutil.copyfile(upload.path, trial)
        try:
            ingest_file(trial)
        except BadDocument as exc:
            raise BadDocument(str(exc).replace(str(trial), upload.name)) from None


def safe_file_name(name: str) -> str:
    """The base name only, with characters that are unsafe in a path replaced; the suffix must be supported."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = _UNSAFE_NAME.sub("_", stem).strip("._") or "report"
    if suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BadDocument(f"{base or name}: unsupported file type; upload one of {', '.join(SUPPORTED_SUFFIXES)}")
    # Linux allows 255 bytes in a name, not characters; staging adds "." and ".part", a clash "-2".
    return stem[:80].encode("utf-8")[:200].decode("utf-8", "ignore") + suffix.lower()


def _free_path(directory: Path, name: str) -> Path:
    path = directory / name
    n = 2
    while path.exists():
        path = directory / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
