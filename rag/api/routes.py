"""The library's JSON over HTTP, under /api: search, ask, the reports (listed, and uploaded as the app
takes them), overviews. Each route is what a CLI command or an app handler does, in the same words:
`rag search --json`, `rag ask --json`, `rag overview --json`, the app's upload and confirm."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from rag.api.errors import ApiError
from rag.api.guard import UPLOAD_PATH, too_large_message
from rag.assistant import Assistant
from rag.errors import BadDocument, RagError
from rag.readers import SUPPORTED_SUFFIXES
from rag.records import SearchFilter
from rag.render import upload_formats
from rag.render.data import answer_json, overview_json, report_json, search_json
from rag.retrieve import check_question
from rag.uploads import MAX_UPLOAD_BYTES, safe_file_name
from rag.workspace import add_upload, confirmed_identity, overview_for, read_upload, upload_message

MAX_TOP_K = 50
MAX_PREVIOUS = 20  # a follow-up refers to the last few questions; older ones are not read
INDEXING_RETRY_S = 10


class Filters(BaseModel):
    """The app's three filters; empty means all."""

    committees: list[str] = Field(default_factory=list, max_length=200, description="short or full names (GET /api/reports)")
    years: list[int] = Field(default_factory=list, max_length=200)
    reports: list[str] = Field(default_factory=list, max_length=1000, description="report_id values (GET /api/reports)")


class SearchRequest(BaseModel):
    question: str
    top_k: int | None = Field(None, ge=1, le=MAX_TOP_K, description="passages to return (default 5)")
    filters: Filters = Field(default_factory=Filters)


class AskRequest(BaseModel):
    question: str
    previous: list[str] = Field(default_factory=list, max_length=MAX_PREVIOUS,
                                description="earlier questions of the conversation, oldest first, for follow-ups like 那洪泽区呢？")
    filters: Filters = Field(default_factory=Filters)


def where_of(assistant: Assistant, filters: Filters) -> SearchFilter:
    """The SearchFilter of `filters`; a committee or report the index does not hold is a 400, not an empty answer."""
    reports = assistant.retriever.reports
    names = {name for meta in reports.values() for name in (meta.short_name, meta.committee)}
    unknown = [c for c in filters.committees if c not in names]
    if unknown:
        raise ApiError(400, f"所收录的报告中没有这些政协：{'、'.join(unknown)}（GET /api/reports 列出全部报告）")
    missing = [r for r in filters.reports if r not in reports]
    if missing:
        raise ApiError(400, f"没有这些报告：{'、'.join(missing)}（report_id 见 GET /api/reports）")
    return SearchFilter(frozenset(filters.committees), frozenset(filters.years), frozenset(filters.reports))


def router(assistant: Assistant) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["library"])

    @api.post("/search")
    def search(request: SearchRequest) -> dict:
        """Ranked passages, as `rag search --json` prints them."""
        question = check_question(request.question)
        where = where_of(assistant, request.filters)
        return search_json(assistant.retriever.search(question, top_k=request.top_k, where=where))

    @api.post("/ask")
    def ask(request: AskRequest) -> dict:
        """The cited answer, as `rag ask --json` prints it; `previous` as `--after`."""
        question = check_question(request.question)
        previous = [check_question(q) for q in request.previous]
        return answer_json(assistant.ask(question, previous, where_of(assistant, request.filters)))

    @api.get("/reports")
    def reports() -> dict:
        """Every report in the index: its identity (reports.toml), its passages; and the index itself."""
        retriever = assistant.retriever
        rows = retriever.index.chunks.report_rows()
        listed = [{"report_id": rid, **report_json(meta, len(rows.get(rid, ())))} for rid, meta in retriever.reports.items()]
        return {"reports": listed, "index": asdict(assistant.status())}

    @api.get("/overview")
    def overview(theme: str, committee: list[str] = Query(default=[]), figures: bool = False,
                 compare: bool = False) -> dict:
        """A theme across the reports, as `rag overview --json` prints it: the table; with `figures` every
        sentence with a figure; with `compare` two `committee`s side by side."""
        theme = check_question(theme) if theme.strip() else theme  # the length limit; an empty one is overview_for's to name
        return overview_json(overview_for(assistant.topics(), theme, committee, figures, compare))

    api.post("/reports", status_code=201)(_uploader(assistant))
    return api


def _uploader(assistant: Assistant):
    def upload(
        file: UploadFile = File(description="the report: " + ", ".join(SUPPORTED_SUFFIXES)),
        committee: str | None = Form(None, description="full name; default: as read off the file"),
        short_name: str | None = Form(None), year: str | None = Form(None), title: str | None = Form(None),
        kind: str | None = Form(None, description="工作报告, 履职综述, 工作谋划 or 工作总结"),
    ) -> dict:
        """Add a report as the app's upload does: checked and read, its identity (as read off its first
        lines, with the fields given instead) written to reports.toml, indexed; then every page and
        every later question sees it. Nothing is written when any step fails."""
        if assistant.indexing:
            raise ApiError(503, "另一份报告正在加入索引，请稍后再试", {"Retry-After": str(INDEXING_RETRY_S)})
        name = file.filename or ""
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise ApiError(415, f"“{name}”不是可以读取的报告文件。可上传：{upload_formats()}")
        with tempfile.TemporaryDirectory(prefix="rag-api-upload-") as scratch:
            path = Path(scratch) / safe_file_name(name)  # a bare name: nothing lands outside this folder, or corpus/
            _save(file, path)
            given = {"committee": committee, "short_name": short_name, "year": year, "title": title, "kind": kind}
            try:  # a RagError of confirmed_identity (an empty title, a year that is no year) goes on: a 400
                guess = read_upload(assistant, path)
                identity = confirmed_identity(guess, **{k: getattr(guess, k) if v in (None, "") else v for k, v in given.items()})
            except BadDocument as exc:  # no report: said as the app says it
                raise ApiError(422, upload_message(exc)) from None
            try:
                added = add_upload(assistant, path, identity)
            except BadDocument as exc:  # unreadable, or the same file already in
                raise ApiError(422, upload_message(exc)) from None
            except RagError as exc:  # the server could not write (a full disk): not the caller's to fix
                raise ApiError(500, str(exc)) from None
        return {"file": added.name, "reports": [report_json(meta) for meta in added.reports], "passages": added.passages}

    return upload


def _save(file: UploadFile, path: Path) -> None:
    """The upload's bytes to `path`; 413 past MAX_UPLOAD_BYTES (the request limit leaves room for the form around it)."""
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ApiError(413, too_large_message(UPLOAD_PATH))
