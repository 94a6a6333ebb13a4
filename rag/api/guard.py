"""Who may call the API and how much they may send: the key check and the request size limit.

- On 127.0.0.1 the API is open to this machine, as the app is. With a key configured
  (RAG_API_KEY, or the app's login password RAG_PASSWORD, which is accepted too so that one
  secret serves a small office) every route but /healthz and the docs needs
  `Authorization: Bearer <key>`. Any other host without a key is refused at start
  (`required_keys`): the API would hand every report, and uploads into the corpus, to the network.
- A JSON body may be MAX_JSON_BYTES, an upload MAX_UPLOAD_BYTES plus its multipart framing: a
  larger request is answered 413 before it is read (`BodyLimit`), or as soon as it passes the
  limit when it does not say its length. The question's own length is rag.retrieve.check_question's.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers

from rag.api.errors import error_response

from rag.errors import RagError
from rag.uploads import MAX_UPLOAD_BYTES

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_JSON_BYTES = 1 << 20
MAX_FORM_BYTES = MAX_UPLOAD_BYTES + (1 << 20)  # the file, and the form's framing and identity fields around it
UPLOAD_PATH = "/api/reports"
GUARDED = ("/v1/", "/api/")


def required_keys(host: str, api_key: str = "", password: str = "") -> tuple[str, ...]:
    """The keys a request may bear: RAG_API_KEY and RAG_PASSWORD, those set. None on a loopback host
    means an open API; on any other host it is a RagError that says what to set."""
    keys = tuple(key for key in (api_key, password) if key)
    if not keys and host not in LOOPBACK:
        raise RagError(
            f"RAG_HOST={host} exposes the app and its HTTP API to the network; set RAG_PASSWORD (the login, "
            "also accepted as the API key) and, for other programs, RAG_API_KEY, or keep RAG_HOST=127.0.0.1"
        )
    return keys


_BEARER = HTTPBearer(auto_error=False, description="RAG_API_KEY, or the login password RAG_PASSWORD")


class BearerKey:
    """The dependency that checks `Authorization: Bearer <key>` (through HTTPBearer, so /docs offers "Authorize")."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._keys = [key.encode() for key in keys]

    async def __call__(self, given: HTTPAuthorizationCredentials | None = Security(_BEARER)) -> None:
        if not self._keys:
            return
        token = given.credentials.encode() if given else b""
        # Compared with every key in constant time, so the answer's timing says nothing about a key.
        if not any([hmac.compare_digest(token, key) for key in self._keys]):
            message = ("缺少 API 密钥" if given is None else "API 密钥不对") + \
                "：请求头须带 Authorization: Bearer <RAG_API_KEY>（或登录密码 RAG_PASSWORD）"
            raise HTTPException(401, message, {"WWW-Authenticate": "Bearer"})


def too_large_message(path: str) -> str:
    """What a 413 says: the limit that applies to `path`, and the upload limit, which is what people hit."""
    if path == UPLOAD_PATH:
        return f"文件超过 {MAX_UPLOAD_BYTES // 1048576} MB 的上传上限：请压缩或拆分后再上传"
    return f"请求体超过 {MAX_JSON_BYTES // 1048576} MB 的上限：问题和对话历史应远小于此；报告文件请用 POST {UPLOAD_PATH} 上传"


class BodyLimit:
    """ASGI middleware: a request under GUARDED larger than its limit is answered 413 and read no further.

    Ours rather than FastAPI's `max_body_size`, whose 413 is plain text: raised from `receive`, an
    HTTPException reaches the app's error handlers (rag.api.errors) and is answered in the API's shape.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(GUARDED):
            await self.app(scope, receive, send)
            return
        limit = MAX_FORM_BYTES if path == UPLOAD_PATH else MAX_JSON_BYTES
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await error_response(413, too_large_message(path))(scope, receive, send)
            return
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, too_large_message(path))
            return message

        await self.app(scope, counted, send)
