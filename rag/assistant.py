"""Wiring: corpus + index directory + settings -> a ready Retriever or Assistant.

The Assistant is what the app and `rag ask` hold: it answers (follow-ups included, through a
language model when one is configured), keeps the topic overviews of the index it serves,
takes uploaded reports (rag.uploads) and reports the index status as a Status.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

from rag.answer import answer, committee_hits
from rag.topic import asks_across
from rag.combine import combined, split_questions
from rag.config import Settings
from rag.embed import Embedder, make_embedder
from rag.errors import RagError
from rag.followup import standalone_question
from rag.generate import GenerationError, Generator, make_generator
from rag.index import BuildReport, Index, build_index, is_stale
from rag.overview import Topics
from rag.prompt import NOT_FOUND_EN, NOT_FOUND_ZH, answer_messages, rewrite_messages
from rag.records import Answer, Chunk, Citation, ReportMeta, SearchFilter, SearchResult
from rag.retrieve import Retriever, check_question
from rag.text import normalize
from rag.uploads import check_upload, identify_upload, index_upload
from rag.verify import check_answer

log = logging.getLogger(__name__)

_PROMPT_PASSAGES = 5


@dataclass(frozen=True, slots=True)
class Status:
    """The index being served, for the status panel."""

    answerer: str  # the language model's name, or "extractive"
    reports: int
    files: int
    chunks: int
    embedder: str
    dense: str  # "flat-ip" or "ivf-sq8"
    built: str  # when, UTC, as the manifest writes it: "2025-06-01T08:00:00Z"
    build_seconds: float | None  # None for a build from before it was recorded
    failed: tuple[str, ...]  # corpus files that could not be read, sorted


def open_retriever(
    corpus_dir: Path,
    index_dir: Path,
    settings: Settings,
    build_if_stale: bool = True,
    on_build: Callable[[BuildReport], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
) -> Retriever:
    """Open the index under `index_dir`; first (re)build it from `corpus_dir` if it is missing or stale.

    With `build_if_stale=False` the index is opened as it is, and a missing or broken
    one raises the RagError that says how to fix it.
    """
    embedder = embedder or make_embedder(settings.embedder)
    if build_if_stale and is_stale(index_dir, corpus_dir, embedder.id, settings):
        report = build_index(corpus_dir, index_dir, embedder, settings, progress=progress)
        if on_build:
            on_build(report)
    return Retriever(Index.open(index_dir, embedder.id, settings), embedder, settings)


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
        questions = split_questions(question)
        if len(questions) > 1 and self.generator is None and _each_about_its_own(questions, retriever):
            # Several questions in one message, each about its own committee: each answered on its
            # own (rag.combine). "…？是哪个市政协的综述里提到的？" leans on the first: asked as one.
            asked = [self.ask(part, [*previous, *questions[:i]], where) for i, part in enumerate(questions)]
            yield combined(question, asked)
            return
        shown, notice = self._standalone(question, list(previous), retriever)
        # "淮安市政协和哪个县政协…": searched among 淮安's committees, as their reports call it.
        said, under = retriever.committees.in_reports_words(normalize(shown))
        standalone = said if under else shown
        if under:
            where = replace(where or SearchFilter(), report_ids=where.report_ids & under if where and where.report_ids else under)
        result = retriever.search(standalone, top_k=10, where=where)
        naming = retriever.naming(normalize(standalone))
        names = tuple(name for rid in naming.report_ids for name in retriever.names_of(rid))
        names += tuple(written for written, _ in naming.readings)
        scope = None
        if not result.abstain and asks_across(standalone, len(naming.report_ids)):
            scope = committee_hits(retriever, standalone, naming.report_ids if len(naming.report_ids) >= 2 else (), where)
        extractive = answer(
            question, result, standalone=standalone, named=len(naming.report_ids), names=names, idf=retriever.idf, scope=scope
        )
        if self.generator is None or extractive.abstained:
            # Nothing is written as it comes: the finished answer is shown at once.
            yield replace(extractive, standalone=shown, notice=notice)
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
        yield _generated_answer(question, shown, "".join(pieces).strip(), passages, result, self.generator.name, notice)

    def _standalone(self, question: str, previous: list[str], retriever: Retriever) -> tuple[str, str]:
        if previous and self.generator is not None:
            try:
                rewritten = "".join(self.generator.stream(rewrite_messages(question, previous))).strip().splitlines()
                if rewritten and rewritten[0].strip():
                    return check_question(rewritten[0].strip()), ""
            except (GenerationError, RagError) as exc:
                log.warning("language model could not rewrite the follow-up: %s", exc)
        standalone = standalone_question(
            question, previous, retriever.named_reports, retriever.names_of, lambda rid: retriever.reports[rid].short_name,
            retriever.reports_with,
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

    def identify_report(self, upload: Path, name: str | None = None) -> ReportMeta:
        """Who wrote an uploaded file, read off its text (rag.identity); BadDocument if it is no report."""
        return identify_upload(check_upload(upload, name))

    def add_report(self, upload: Path, name: str | None = None, identity: ReportMeta | None = None) -> BuildReport:
        """Check an uploaded file, add it to the corpus under `identity` (written to reports.toml) and
        index it; without one its identity is guessed at each build. BadDocument leaves everything as it was."""
        checked = check_upload(upload, name)
        with self._write_lock:
            metas = [identity] if identity else None
            report, self.retriever = index_upload(checked, self.corpus_dir, self.index_dir, self.retriever, self.settings, metas)
            return report

    @property
    def indexing(self) -> bool:
        """True while an upload is being indexed; questions are answered from the index before it meanwhile."""
        return self._write_lock.locked()

    def status(self) -> Status:
        manifest = self.retriever.index.manifest
        return Status(
            answerer=self.generator.name if self.generator else "extractive",
            reports=manifest["corpus"]["reports"],
            files=len(manifest["corpus"]["files"]),
            chunks=manifest["corpus"]["chunks"],
            embedder=manifest["embedder"]["id"],
            dense=manifest["dense"]["type"],
            built=manifest["created"],
            build_seconds=manifest.get("build_seconds"),
            failed=tuple(sorted(manifest["corpus"].get("failed", {}))),
        )


def _each_about_its_own(questions: list[str], retriever: Retriever) -> bool:
    """Whether every question names a committee with a report here, not all the same ones."""
    named = [frozenset(retriever.naming(normalize(q)).report_ids) for q in questions]
    return all(named) and len(set(named)) > 1


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
