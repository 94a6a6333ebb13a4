"""An uploaded report file -> a corpus file, indexed incrementally and swapped in; a failure changes nothing.

An upload is checked (name, size, the same bytes already in the corpus, readable as a report)
before the corpus is touched. It is then indexed from a staging corpus outside corpus/ (links
to the corpus files, the upload, and reports.toml with the upload's confirmed identity), and
only when that build is published do the identity and then the file enter corpus/. A run
killed on the way leaves corpus/ without the upload; an index that lists it is then stale and
the next start rebuilds it without it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from rag.config import Settings
from rag.errors import BadDocument, RagError
from rag.index import BuildReport, Index, build_index
from rag.index.publish import sweep_abandoned
from rag.identity import register
from rag.ingest import METADATA_FILE, corpus_files, ingest_file
from rag.records import Report, ReportMeta
from rag.readers import SUPPORTED_SUFFIXES
from rag.retrieve import Retriever

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_STAGING_PREFIX = ".upload-"  # rag.index.publish.sweep_abandoned removes what a killed upload left
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


def corpus_name(upload: Upload, corpus_dir: Path) -> str:
    """The name the upload will have in the corpus: its own, or "-2"… when that is taken."""
    return _free_path(corpus_dir, upload.name).name


def index_upload(
    upload: Upload,
    corpus_dir: Path,
    index_dir: Path,
    retriever: Retriever,
    settings: Settings,
    metas: list[ReportMeta] | None = None,
) -> tuple[BuildReport, Retriever]:
    """Add `upload` to the corpus and the index; return what the build did and a Retriever over the new index.

    `metas` is the upload's identity as the user confirmed it (its reports.toml entries, any
    `file` replaced by the corpus name); None leaves it to be guessed from the text at each build.
    The caller holds the one write lock of `corpus_dir` and `index_dir`. BadDocument (a
    duplicate, an unreadable file) and any build error leave the corpus and the index as they were.
    """
    for existing in corpus_files(corpus_dir):
        if _sha256(existing) == upload.sha256:
            raise BadDocument(f"{upload.name}: the same file is already in the corpus as {existing.name}")
    name = corpus_name(upload, corpus_dir)
    _check_readable(upload, name)
    metas = [replace(meta, file=name) for meta in metas or ()]
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        sweep_abandoned(index_dir, settings.vector_store)
        scratch = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=index_dir))
        _stage(corpus_dir, scratch / "corpus", upload, name, metas)
    except OSError as exc:
        raise RagError(f"cannot stage the upload under {index_dir}: {exc.strerror or exc}; the previous index is unchanged") from None
    try:
        report = build_index(scratch / "corpus", index_dir, retriever.embedder, settings, recorded_dir=corpus_dir)
        if name in report.failed:
            raise BadDocument(report.failed[name])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # The index now holds the upload: its identity goes in before the file, so that a file in
    # corpus/ always has the identity it was indexed with.
    for meta in metas:
        register(corpus_dir, meta)
    part = corpus_dir / f".{name}.part"
    try:
        shutil.copyfile(upload.path, part)
        os.replace(part, corpus_dir / name)
    except OSError as exc:
        part.unlink(missing_ok=True)
        # The published index lists the file, so it is stale now: the next start rebuilds it without.
        raise RagError(f"cannot copy {name} into {corpus_dir}: {exc.strerror or exc}") from None
    index = Index.open(index_dir, retriever.embedder.id, settings)
    return report, Retriever(index, retriever.embedder, settings)


def _stage(corpus_dir: Path, staging: Path, upload: Upload, name: str, metas: list[ReportMeta]) -> None:
    """A corpus to build from: the corpus files (linked, not copied), its reports.toml plus `metas`, the upload."""
    staging.mkdir()
    for path in corpus_files(corpus_dir):
        _link_or_copy(path, staging / path.name)
    if (corpus_dir / METADATA_FILE).exists():
        shutil.copyfile(corpus_dir / METADATA_FILE, staging / METADATA_FILE)
    for meta in metas:
        register(staging, meta)
    shutil.copyfile(upload.path, staging / name)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, target)


def identify_upload(upload: Upload) -> ReportMeta:
    """The identity read off the upload's text (rag.identity.guess_meta), for the user to confirm."""
    return _check_readable(upload, upload.name)[0].meta


def _check_readable(upload: Upload, file_name: str) -> list[Report]:
    """Read the upload as a report under its corpus name, in a scratch directory, before the corpus is touched."""
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / file_name
        shutil.copyfile(upload.path, trial)
        try:
            return ingest_file(trial)
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
