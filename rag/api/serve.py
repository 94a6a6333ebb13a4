"""Serve an app that takes a while to open (the index may be built first) on one port with uvicorn,
answering 503 until it is open.

`serve(opening, host, port)` listens at once. While `opening()` runs (in a thread: a build takes
seconds to minutes of CPU), the API's paths get the API's 503 error with Retry-After, and a
browser a short page that reloads itself; then every request goes to the app `opening` returned,
whose ASGI lifespan (the chat app's queue among it) is started first. If `opening` raises, the
server stops and `serve` raises that error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Callable

import uvicorn

from rag.api.errors import RETRY_AFTER_S, error_response
from rag.render.status import building_html

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 3  # open pages hold event streams; they reconnect to the next start


class Opening:
    """ASGI app: 503 until the app that `opening()` returns is ready, then that app."""

    def __init__(self, opening: Callable[[], Callable]) -> None:
        self._opening = opening
        self.app = None
        self.error: BaseException | None = None
        self.on_error: Callable[[], None] = lambda: None  # told when opening failed (serve stops the server)
        self._to_app: asyncio.Queue | None = None
        self._from_app: asyncio.Queue | None = None
        self._lifespan_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self.app is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await _building(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        await receive()  # lifespan.startup: listen now, open in the background
        task = asyncio.create_task(self._open())
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        task.cancel()
        if self.app is not None:
            await self._to_app.put({"type": "lifespan.shutdown"})
            await self._reply(timeout=SHUTDOWN_GRACE_S)
        await send({"type": "lifespan.shutdown.complete"})

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        opened: asyncio.Future = loop.create_future()

        def work() -> None:
            try:
                app = self._opening()
                loop.call_soon_threadsafe(opened.set_result, app)
            except BaseException as exc:  # reported by `serve` once the server has stopped
                loop.call_soon_threadsafe(opened.set_exception, exc)

        # A daemon thread, not the loop's executor: a stop during a long build must not wait for it.
        threading.Thread(target=work, daemon=True, name="rag-opening").start()
        try:
            app = await opened
            await self._start(app)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.error = exc
            self.on_error()
            return
        self.app = app

    async def _start(self, app) -> None:
        """Run `app`'s lifespan startup, as a server would, and keep it for the shutdown."""
        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._lifespan_task = asyncio.create_task(app(scope, self._to_app.get, self._from_app.put))
        await self._to_app.put({"type": "lifespan.startup"})
        reply = await self._reply()
        if reply.get("type") != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {reply.get('message') or reply}")

    async def _reply(self, timeout: float | None = None) -> dict:
        """The app's next lifespan message; {} when its lifespan ended (or crashed) without one, or after `timeout`."""
        reply = asyncio.create_task(self._from_app.get())
        await asyncio.wait({reply, self._lifespan_task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if reply.done():
            return reply.result()
        reply.cancel()
        task = self._lifespan_task
        return {"message": repr(task.exception()) if task.done() and not task.cancelled() and task.exception() else ""}


async def _building(scope, receive, send) -> None:
    path = scope.get("path", "")
    retry = {"Retry-After": str(RETRY_AFTER_S)}
    if path.startswith(("/v1/", "/api/", "/healthz")):
        response = error_response(503, "索引正在建立，请稍候再试", retry)
    else:
        from starlette.responses import HTMLResponse

        response = HTMLResponse(building_html(RETRY_AFTER_S), status_code=503, headers=retry)
    await response(scope, receive, send)


def serve(opening: Callable[[], Callable], host: str, port: int) -> None:
    """Serve `opening()`'s app on host:port until SIGINT or SIGTERM; raises what `opening` raised."""
    switch = Opening(opening)
    config = uvicorn.Config(switch, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=SHUTDOWN_GRACE_S, lifespan="on")
    server = uvicorn.Server(config)

    def stop() -> None:
        server.should_exit = True

    switch.on_error = stop
    log.info("listening on http://%s:%d; answering 503 until the index is open", host, port)
    server.run()
    if switch.error is not None:
        raise switch.error
