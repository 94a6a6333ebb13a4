"""The page around the views: the HTML the app serves, with static/page.js as the first script of its
<head>, and the short 使用说明 shown in the app (static/help.md; docs/使用说明.md is the long one).

Gradio's front end picks the language of its own strings ("Drop File Here", "Error") from
navigator.language as it starts, and falls back to English for any browser not set to exactly
zh-CN or zh-TW. The scripts an app may add (`launch(head=..., js=...)`) run only after that
choice is made, so the page itself has to carry ours: `FirstScript`, an ASGI middleware, puts it
into the HTML of the root page and leaves every other response as it is.
"""

from __future__ import annotations

from rag.render.markup import static_text
from rag.render.status import upload_formats
from rag.uploads import MAX_UPLOAD_BYTES


def help_markdown() -> str:
    """The 使用说明 tab: asking, follow-ups, filters, uploads and their identity check, the basket, overviews."""
    return static_text("help.md").format(formats=upload_formats(), limit=MAX_UPLOAD_BYTES // 1048576)


class FirstScript:
    """ASGI middleware: `<script>` with `script` right after `<head>` in the HTML served at "/"."""

    def __init__(self, app, script: str | None = None) -> None:
        self.app = app
        self.tag = b"<head><script>" + (script or static_text("page.js")).encode() + b"</script>"

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") not in ("/", ""):
            await self.app(scope, receive, send)
            return
        start: dict = {}
        body: list[bytes] = []

        async def send_page(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)  # held back: the length changes
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._send_with_script(send, start, b"".join(body))

        await self.app(scope, receive, send_page)

    async def _send_with_script(self, send, start: dict, page: bytes) -> None:
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        is_html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
        if is_html and b"<head>" in page:
            page = page.replace(b"<head>", self.tag, 1)
        await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
        await send({"type": "http.response.body", "body": page})
