"""One Assistant -> the API's FastAPI app: the routes of rag.api.chat and rag.api.routes behind the key
check, /healthz open, every failure in one JSON shape, the OpenAPI page at /docs.

app_gradio.py mounts the chat app on this one (gr.mount_gradio_app), so that both serve from one
port and one process and share the Assistant: an upload through either is seen by both.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request

from rag.api import chat, errors, routes
from rag.api.errors import ApiError
from rag.api.guard import BearerKey, BodyLimit
from rag.assistant import Assistant

DESCRIPTION = """Cited answers over CPPCC work reports (政协工作报告). Every sentence of an answer is quoted
from a report and carries an [n] marker; `citations` say where each is (committee, report, year,
section, paragraph, page, exact offsets). When the reports do not say, `abstained` is true.

- `/v1/chat/completions`, `/v1/models`: OpenAI's chat format, for clients that speak it (model `rag`).
- `/api/search`, `/api/ask`, `/api/overview`: the JSON of `rag search --json`, `rag ask --json`, `rag overview --json`.
- `/api/reports`: the reports in the index; POST a file to add one, as the app's upload does.

With a key configured (RAG_API_KEY, or the login password RAG_PASSWORD) every route but /healthz
needs `Authorization: Bearer <key>`. Errors are `{"error": {"message": …, "type": …}}`."""
_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_app(assistant: Assistant, keys: tuple[str, ...] = ()) -> FastAPI:
    """The API over `assistant`; `keys` (rag.api.guard.required_keys): those a request may bear, none for an open API."""
    app = _fastapi(title="政协报告问答 API", description=DESCRIPTION, version="1", redoc_url=None)
    errors.install(app)
    app.add_middleware(BodyLimit)
    key = [Depends(BearerKey(keys))]
    app.include_router(chat.router(assistant), dependencies=key)
    app.include_router(routes.router(assistant), dependencies=key)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """200 once the index is open (503 while it is being built at start); no key needed, and it tells nothing of the reports."""
        return {"status": "ok", "indexing": assistant.indexing}

    @app.api_route("/v1/{rest:path}", methods=_ANY_METHOD, include_in_schema=False)
    @app.api_route("/api/{rest:path}", methods=_ANY_METHOD, include_in_schema=False)
    def unknown(request: Request) -> None:
        # Below the API's prefixes the chat app (mounted at "/") has nothing: answer in the API's shape.
        raise ApiError(404, f"没有这个接口：{request.method} {request.url.path}（接口列表见 /docs）")

    return app


def _fastapi(**options) -> FastAPI:
    """FastAPI, with /docs served from this machine when fastapi-offline is installed: an office's
    machines may not reach the CDN that FastAPI's own page loads Swagger UI from."""
    try:
        from fastapi_offline import FastAPIOffline
    except ImportError:
        return FastAPI(**options)
    return FastAPIOffline(static_url="/docs-static", **options)
