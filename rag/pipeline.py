"""Wiring: corpus + index directory + settings -> a ready Retriever or Assistant.

The Assistant is what the app and `rag ask` hold: it answers (follow-ups included),
takes uploaded reports and reports the index status. An upload is checked, copied into
the corpus, indexed incrementally, and only then swapped in; a failure changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from rag.analyze import normalize
from rag.answer import answer
from rag.config import Settings
from rag.embed import Embedder, make_embedder
from rag.errors import BadDocument, RagError
from rag.followup import standalone_question
from rag.index import BuildReport, Index, build_index, is_stale
from rag.ingest import corpus_files, ingest_file
from rag.load import SUPPORTED_SUFFIXES
from rag.generate import GenerationError, Generator, make_generator
from rag.prompt import NOT_FOUND_EN, NOT_FOUND_ZH, answer_messages, rewrite_messages
from rag.overview import Topics
from rag.records import Answer, Chunk, Citation, SearchFilter, SearchResult
from rag.retrieve import Retriever, check_question
from rag.verify import check_answer

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_PROMPT_PASSAGES = 5
_UNSAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def open_retriever(
    corpus_dir: Path,
    index_dir: Path,
    settings: Settings,
    build_if_stale: bool = True,
    on_build: Callable[[BuildReport], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
) -> Retriever:
    """Load the index under `index_dir`; first (re)build it from `corpus_dir` if it is missing or stale.

    With `build_if_stale=False` the index is loaded as it is, and a missing or broken
    one raises the RagError that says how to fix it.
    """
    embedder = embedder or make_embedder(settings.embedder)
    if build_if_stale and is_stale(index_dir, corpus_dir, embedder.id, settings):
        report = build_index(corpus_dir, index_dir, embedder, settings, progress=progress)
        if on_build:
            on_build(report)
    return Retriever(Index.load(index_dir, embedder.id, settings), embedder, settings)


class Assistant:
    """Answers questions over one corpus and index; optionally through a language model.

    With a generator, the model writes the answer from the top passages and every
    sentence is checked (rag.verify); follow-ups are rewritten by the model. The
    extractive answer stays the default, and is the fallback whenever the model
    fails, so an answer is never lost to a down endpoint. When retrieval abstains the
    model is not asked at all: it could only guess.
    """

    def __init__(
        self, corpus_dir: Path, index_dir: Path, settings: Settings, retriever: Retriever, generator: Generator | None = None
    ) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.settings = settings
        self.retriever = retriever
        self.generator = generator
        self._write_lock = threading.Lock()
        self._topics: Topics | None = None

    @classmethod
    def open(cls, corpus_dir: Path, index_dir: Path, settings: Settings, **kwargs) -> "Assistant":
        retriever = open_retriever(corpus_dir, index_dir, settings, **kwargs)
        return cls(corpus_dir, index_dir, settings, retriever, make_generator(settings.generator))

    def ask(self, question: str, previous: list[str] = (), where: SearchFilter | None = None) -> Answer:
        """Answer `question`, reading it as a follow-up of `previous` (earlier questions, oldest first)."""
        for item in self.ask_stream(question, previous, where):
            if isinstance(item, Answer):
                return item
        raise AssertionError("ask_stream ended without an Answer")

    def ask_stream(self, question: str, previous: list[str] = (), where: SearchFilter | None = None) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the finished Answer (which the caller shows instead)."""
        retriever = self.retriever  # one consistent index for the whole question, even during a swap
        check_question(question)
        standalone, notice = self._standalone(question, list(previous), retriever)
        result = retriever.search(standalone, top_k=10, where=where)
        named = retriever.named_reports(normalize(standalone))
        names = tuple(name for rid in named for name in retriever.names_of(rid))
        extractive = answer(question, result, standalone=standalone, named=len(named), names=names, idf=retriever.idf)
        if self.generator is None or extractive.abstained:
            yield extractive.text
            yield replace(extractive, notice=notice)
            return
        passages = {number: hit.chunk for number, hit in enumerate(result.hits[:_PROMPT_PASSAGES], start=1)}
        pieces = []
        try:
            for piece in self.generator.stream(answer_messages(standalone, passages)):
                pieces.append(piece)
                yield piece
        except GenerationError as exc:
            log.warning("language model failed, answering extractively: %s", exc)
            yield replace(extractive, notice=f"语言模型暂不可用（{exc}），以下为摘录式回答。")
            return
        yield _generated_answer(question, standalone, "".join(pieces).strip(), passages, result, self.generator.name, notice)

    def _standalone(self, question: str, previous: list[str], retriever: Retriever) -> tuple[str, str]:
        if previous and self.generator is not None:
            try:
                rewritten = "".join(self.generator.stream(rewrite_messages(question, previous))).strip().splitlines()
                if rewritten and rewritten[0].strip():
                    return check_question(rewritten[0].strip()), ""
            except (GenerationError, RagError) as exc:
                log.warning("language model could not rewrite the follow-up: %s", exc)
        standalone = standalone_question(
            question, previous, retriever.named_reports, retriever.names_of, lambda rid: retriever.reports[rid].short_name
        )
        return standalone, ""

    def topics(self) -> Topics:
        """Topic overviews, the figure finder and the basket's check of stored quotes, over the
        current index; rebuilt when an upload has swapped a new index in."""
        retriever = self.retriever
        topics = self._topics
        if topics is None or topics.retriever is not retriever:
            topics = self._topics = Topics(retriever)
        return topics

    def add_report(self, upload: Path, name: str | None = None) -> BuildReport:
        """Check an uploaded file, add it to the corpus and index it; BadDocument leaves everything as it was."""
        name = safe_file_name(name or upload.name)
        size = upload.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise BadDocument(f"{name}: {size / 1048576:.1f} MB is over the {MAX_UPLOAD_BYTES // 1048576} MB upload limit")
        digest = _sha256(upload)
        with self._write_lock:
            for existing in corpus_files(self.corpus_dir):
                if _sha256(existing) == digest:
                    raise BadDocument(f"{name}: the same file is already in the corpus as {existing.name}")
            target = _free_path(self.corpus_dir, name)
            with tempfile.TemporaryDirectory() as scratch:
                trial = Path(scratch) / target.name
                shutil.copyfile(upload, trial)
                try:
                    ingest_file(trial)  # fails before the corpus is touched
                except BadDocument as exc:
                    raise BadDocument(str(exc).replace(str(trial), name)) from None
            staged = target.with_name(f".{target.name}.part")
            shutil.copyfile(upload, staged)
            os.replace(staged, target)
            try:
                report = build_index(self.corpus_dir, self.index_dir, self.retriever.embedder, self.settings)
                if target.name in report.failed:
                    raise BadDocument(report.failed[target.name])
            except Exception:
                target.unlink(missing_ok=True)
                raise
            index = Index.load(self.index_dir, self.retriever.embedder.id, self.settings)
            self.retriever = Retriever(index, self.retriever.embedder, self.settings)
            return report

    def status(self) -> dict:
        manifest = self.retriever.index.manifest
        return {
            "answerer": self.generator.name if self.generator else "extractive",
            "reports": manifest["corpus"]["reports"],
            "files": len(manifest["corpus"]["files"]),
            "chunks": manifest["corpus"]["chunks"],
            "embedder": manifest["embedder"]["id"],
            "dense": manifest["dense"]["type"],
            "built": manifest["created"],
            "build_seconds": manifest.get("build_seconds"),
            "failed": sorted(manifest["corpus"].get("failed", {})),
        }


def _generated_answer(
    question: str, standalone: str, text: str, passages: dict[int, Chunk], result: SearchResult, backend: str, notice: str
) -> Answer:
    if not text or text.startswith((NOT_FOUND_ZH, NOT_FOUND_EN)):
        return Answer(
            question, standalone, text or NOT_FOUND_ZH, (), (), abstained=True, related=result.hits[:3],
            reason="语言模型认为资料不足以回答", backend=backend, notice=notice,
        )
    checks = check_answer(text, passages)
    cited = sorted({n for check in checks for n in check.citations if n in passages})
    scores = {number: hit.score for number, hit in enumerate(result.hits, start=1)}
    citations = tuple(Citation(n, passages[n], scores[n]) for n in cited)
    return Answer(question, standalone, text, (), citations, abstained=False, backend=backend, checks=checks, notice=notice)


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
