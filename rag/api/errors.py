"""A failure -> {"error": {"message": …, "type": …}} with the status that says whose move it is; never a traceback.

The shape is OpenAI's, so that chat clients show the message. The message says what to change:
the library's RagError text (the same line the CLI and the app show), or ours.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag.errors import BadDocument, IndexCorrupt, IndexNotFound, ManifestMismatch, RagError
from rag.workspace import user_message

log = logging.getLogger(__name__)

TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_document",
    500: "server_error",
    503: "service_unavailable",
}
RETRY_AFTER_S = 5


class ApiError(Exception):
    """A request the API turns down: its status, the message for a person, the OpenAI error type."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": TYPES.get(status, "invalid_request_error")}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: RagError) -> int:
    """A bad question or request is the caller's to fix (400); a file that is no report 422; an index
    that cannot be opened is ours, and a rebuild fixes it (503)."""
    if isinstance(exc, BadDocument):
        return 422
    if isinstance(exc, (IndexNotFound, IndexCorrupt, ManifestMismatch)):
        return 503
    return 400


def install(app: FastAPI) -> None:
    """Every failure of a route of `app` answered in the error shape."""

    @app.exception_handler(ApiError)
    async def refused(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.headers)

    @app.exception_handler(RagError)
    async def library(request: Request, exc: RagError) -> JSONResponse:
        return error_response(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, f"请求有误：{validation_message(exc)}")

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> JSONResponse:
        message = {404: f"没有这个地址：{request.url.path}（接口列表见 /docs）",
                   405: f"{request.url.path} 不接受 {request.method} 请求（见 /docs）"}.get(exc.status_code, str(exc.detail))
        return error_response(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return error_response(500, user_message(exc))  # logs the traceback on the server, sends one line


def validation_message(exc: RequestValidationError) -> str:
    """Pydantic's complaints, one per field, each with where it is: "messages: Field required"."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "form"))
        if error.get("type") == "json_invalid":
            parts.append("请求体不是有效的 JSON")
        else:
            parts.append(f"{where or '请求体'}: {error.get('msg', '')}")
    return "；".join(parts) or "无法读取请求"
