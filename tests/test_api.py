"""The HTTP API beside the app (rag.api) over tests/data: OpenAI's chat format, the library's JSON, errors, keys.

Most tests call the API in-process through Starlette's TestClient (real routes, real Assistant).
Those marked slow start app_gradio.py (tests/conftest.py RunningApp) and talk to it over
127.0.0.1 as an office's tool would: the chat through the official `openai` client, the rest over
plain HTTP, the chat app's own endpoint through gradio_client on the same port.
"""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from rag.api import create_app, required_keys
from rag.api.guard import MAX_JSON_BYTES
from rag.api.serve import Opening
from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import RagError
from rag.generate import make_generator
from rag.readers import read_text
from rag.render.data import answer_json, overview_json, search_json
from rag.workspace import overview_for

from tests.conftest import DATA, RunningApp

JINHU = "金湖县政协提案立案多少件？"
XUYI = "盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n"
ASKED_XUYI = "盱眙县政协立案提案多少件？"


def chat(question: str, *earlier: str, **extra) -> dict:
    messages = []
    for text in earlier:
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": "（上一轮的回答）"}]
    return {"model": "rag", "messages": [*messages, {"role": "user", "content": question}], **extra}


@pytest.fixture(scope="module")
def client(data_assistant):
    with TestClient(create_app(data_assistant)) as client:
        yield client


def assert_exact(citation: dict, corpus: Path = DATA) -> None:
    source = read_text(corpus / citation["doc"])
    assert source[citation["start"] : citation["end"]] == citation["text"]
    for quote in citation["quotes"]:
        assert source[quote["start"] : quote["end"]] == quote["text"]


def events(body: str) -> list:
    """The data of each server-sent event; "[DONE]" as it is."""
    lines = [line.removeprefix("data: ") for line in body.split("\n\n") if line.startswith("data: ")]
    return [line if line == "[DONE]" else json.loads(line) for line in lines]


# --- OpenAI's chat format ------------------------------------------------------------------------


def test_one_model_named_rag(client):
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["rag"]
    assert client.get("/v1/models/rag").json()["id"] == "rag"


def test_chat_answer_quotes_the_figure_and_cites_it_exactly(client):
    reply = client.post("/v1/chat/completions", json=chat(JINHU)).json()
    content = reply["choices"][0]["message"]["content"]
    assert reply["object"] == "chat.completion" and reply["choices"][0]["finish_reason"] == "stop"
    assert "159件" in content and "[1]" in content and reply["abstained"] is False
    first = reply["citations"][0]
    assert first["number"] == 1 and first["short_name"] == "金湖县政协" and first["year"] == 2023
    assert "159件" in first["text"] and first["paragraph"] >= 1 and first["section"] and "page" not in first
    assert_exact(first)


def test_follow_up_is_read_from_the_message_history(client):
    reply = client.post("/v1/chat/completions", json=chat("那洪泽区呢？", JINHU)).json()
    content = reply["choices"][0]["message"]["content"]
    assert ("86件" in content or "91件" in content) and "159" not in content
    assert {c["short_name"] for c in reply["citations"]} == {"洪泽区政协"}


def test_streamed_answer_comes_whole_then_its_citations_then_done(client):
    with client.stream("POST", "/v1/chat/completions", json=chat(JINHU, stream=True)) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        sent = events(response.read().decode())
    assert sent[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "159件" in sent[1]["choices"][0]["delta"]["content"]  # the whole answer in one chunk: no typing effect
    assert sent[2]["choices"][0]["finish_reason"] == "stop" and sent[2]["citations"][0]["short_name"] == "金湖县政协"
    assert sent[-1] == "[DONE]" and len(sent) == 4 and len({e["id"] for e in sent[:-1]}) == 1


def test_question_the_reports_do_not_answer_abstains(client):
    reply = client.post("/v1/chat/completions", json=chat(ASKED_XUYI)).json()
    assert reply["abstained"] is True and reply["citations"] == []
    assert "没有找到" in reply["choices"][0]["message"]["content"]


def test_figure_request_gets_the_figure_finder(client):
    reply = client.post("/v1/chat/completions", json=chat("列出所有报告中关于提案的数字")).json()
    assert reply["overview"]["kind"] == "figures" and "159件" in reply["choices"][0]["message"]["content"]


def test_with_a_language_model_the_checked_answer_is_sent_never_the_raw_stream(chat_server, data_assistant):
    server = chat_server("金湖县政协提案立案169件[1]。办结率和满意率均为100%[1]。")  # one figure wrong
    generator = make_generator(f"openai:{server.url}|test-model")
    writing = Assistant(DATA, data_assistant.index_dir, Settings(), data_assistant.retriever, generator)
    with TestClient(create_app(writing)) as client:
        plain = client.post("/v1/chat/completions", json=chat(JINHU)).json()
        with client.stream("POST", "/v1/chat/completions", json=chat(JINHU, stream=True)) as response:
            sent = events(response.read().decode())
    content = plain["choices"][0]["message"]["content"]
    assert "⚠️ 金湖县政协提案立案169件" in content and "未核实" in content and "test-model" in content  # rag.verify's marks
    cited = plain["citations"][0]
    assert cited["short_name"] == "金湖县政协" and "159件" in cited["text"]  # the passage the model cited, whole
    assert_exact(cited)
    assert [e["choices"][0]["delta"].get("content") for e in sent[:-1]] == ["", content, None]


# --- the library's JSON ------------------------------------------------------------------------


def test_search_and_ask_give_the_cli_json(client, data_assistant):
    searched = client.post("/api/search", json={"question": JINHU, "top_k": 3}).json()
    assert searched == json.loads(json.dumps(search_json(data_assistant.retriever.search(JINHU, top_k=3)), ensure_ascii=False))
    asked = client.post("/api/ask", json={"question": "那洪泽区呢？", "previous": [JINHU]}).json()
    expected = answer_json(data_assistant.ask("那洪泽区呢？", [JINHU]))
    assert asked == json.loads(json.dumps(expected, ensure_ascii=False)) and "86件" in asked["text"]


def test_filters_limit_the_search_and_unknown_names_are_refused(client):
    only = {"committees": ["洪泽区政协"], "years": [2023]}
    hits = client.post("/api/search", json={"question": "提案立案多少件", "filters": only}).json()["hits"]
    assert hits and {h["short_name"] for h in hits} == {"洪泽区政协"}
    refused = client.post("/api/ask", json={"question": JINHU, "filters": {"committees": ["月球政协"]}})
    assert refused.status_code == 400 and "月球政协" in refused.json()["error"]["message"]


def test_reports_overview_and_health(client, data_assistant):
    listed = client.get("/api/reports").json()
    assert sum(r["passages"] for r in listed["reports"]) == listed["index"]["chunks"] > 0
    jinhu = next(r for r in listed["reports"] if r["short_name"] == "金湖县政协")
    assert {"report_id", "file", "committee", "title", "year", "kind"} <= set(jinhu) and jinhu["year"] == 2023
    overview = client.get("/api/overview", params={"theme": "提案", "committee": ["金湖县政协", "洪泽区政协"]}).json()
    assert overview == json.loads(json.dumps(overview_json(overview_for(data_assistant.topics(), "提案", ["金湖县政协", "洪泽区政协"]))))
    assert [row["short_name"] for row in overview["rows"]] == ["金湖县政协", "洪泽区政协"]
    figures = client.get("/api/overview", params={"theme": "提案", "figures": "true"}).json()
    assert figures["kind"] == "figures" and any("159件" in e["text"] for row in figures["rows"] for e in row["figures"])
    assert client.get("/healthz").json()["status"] == "ok"


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body, status, words",
    [
        ("post", "/api/ask", {"question": "   "}, 400, "empty"),
        ("post", "/api/ask", {"question": "问" * 2001}, 400, "2,000"),
        ("post", "/api/search", {"question": JINHU, "top_k": 0}, 400, "top_k"),
        ("post", "/api/ask", b"{not json", 400, "JSON"),
        ("post", "/v1/chat/completions", {"model": "rag", "messages": [{"role": "assistant", "content": "hi"}]}, 400, "user"),
        ("post", "/v1/chat/completions", {"model": "rag"}, 400, "messages"),
        ("post", "/v1/chat/completions", chat(JINHU) | {"model": "gpt-4o"}, 404, "/v1/models"),
        ("post", "/api/ask", {"question": JINHU, "pad": "x" * MAX_JSON_BYTES}, 413, "1 MB"),
        ("get", "/api/overview?theme=", None, 400, "主题"),
        ("get", "/api/nothing", None, 404, "/docs"),
    ],
)
def test_errors_say_what_to_change_with_the_right_status(client, method, path, body, status, words):
    payload = {"content": body} if isinstance(body, bytes) else {"json": body} if body is not None else {}
    response = getattr(client, method)(path, **payload, headers={"content-type": "application/json"})
    error = response.json()["error"]
    assert response.status_code == status and words in error["message"] and error["type"]
    assert "Traceback" not in response.text


def test_upload_of_an_unsupported_format_is_415(client):
    response = client.post("/api/reports", files={"file": ("report.exe", XUYI.encode(), "application/octet-stream")})
    assert response.status_code == 415 and ".docx" in response.json()["error"]["message"]


def test_upload_with_a_wrong_identity_or_no_report_changes_nothing(client):
    wrong_year = client.post("/api/reports", data={"year": "去年"}, files={"file": ("x.txt", XUYI.encode(), "text/plain")})
    assert wrong_year.status_code == 400 and "不是年份" in wrong_year.json()["error"]["message"]
    empty = client.post("/api/reports", files={"file": ("empty.txt", b"", "text/plain")})
    assert empty.status_code == 422 and empty.json()["error"]["message"] == "empty.txt：文件是空的"
    assert "x.txt" not in {r["file"] for r in client.get("/api/reports").json()["reports"]}


def test_keys_guard_every_route_but_health(data_assistant):
    with TestClient(create_app(data_assistant, keys=("k-api", "k-login"))) as guarded:
        assert guarded.get("/v1/models").status_code == 401
        wrong = guarded.get("/api/reports", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "RAG_API_KEY" in wrong.json()["error"]["message"]
        assert wrong.headers["www-authenticate"] == "Bearer"
        for key in ("k-api", "k-login"):
            assert guarded.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert guarded.get("/healthz").status_code == 200


def test_only_a_loopback_host_may_go_without_a_key():
    assert required_keys("127.0.0.1") == () and required_keys("0.0.0.0", api_key="k") == ("k",)
    assert required_keys("0.0.0.0", password="p") == ("p",)
    with pytest.raises(RagError, match="RAG_API_KEY"):
        required_keys("0.0.0.0")


# --- uploads -------------------------------------------------------------------------------------


def test_upload_with_identity_lands_in_corpus_only_and_is_answerable(data_workspace, embedder, tmp_path):
    corpus, index = data_workspace
    assistant = Assistant.open(corpus, index, Settings(), embedder=embedder)
    with TestClient(create_app(assistant)) as client:
        before = set(tmp_path.rglob("*"))
        form = {"committee": "政协盱眙县委员会", "year": "2024", "title": "盱眙县政协2024年工作报告"}
        added = client.post("/api/reports", data=form, files={"file": ("../../逃逸.txt", XUYI.encode(), "text/plain")})
        assert added.status_code == 201, added.text
        assert added.json()["file"] == "逃逸.txt" and added.json()["reports"][0]["short_name"] == "盱眙县政协"
        new = {p for p in set(tmp_path.rglob("*")) - before if p.is_file() and not p.is_relative_to(index)}
        assert {p.relative_to(corpus).as_posix() for p in new} == {"逃逸.txt"}  # and reports.toml, changed in place
        assert "政协盱眙县委员会" in (corpus / "reports.toml").read_text(encoding="utf-8")
        assert "136件" in client.post("/api/ask", json={"question": ASKED_XUYI}).json()["text"]
        again = client.post("/api/reports", files={"file": ("again.txt", XUYI.encode(), "text/plain")})
        assert again.status_code == 422 and "逃逸.txt" in again.json()["error"]["message"]


def test_upload_while_another_is_indexed_is_503(data_assistant):
    with TestClient(create_app(data_assistant)) as client, data_assistant._write_lock:
        busy = client.post("/api/reports", files={"file": ("x.txt", XUYI.encode(), "text/plain")})
    assert busy.status_code == 503 and busy.headers["retry-after"] and "稍后" in busy.json()["error"]["message"]


# --- while the index is being built ---------------------------------------------------------------


def test_503_while_the_app_is_opening_then_served(data_assistant):
    release = threading.Event()

    def opening():
        release.wait(30)
        return create_app(data_assistant)

    switch = Opening(opening)
    with TestClient(switch) as client:
        building = client.post("/api/ask", json={"question": JINHU})
        assert building.status_code == 503 and building.json()["error"]["type"] == "service_unavailable"
        assert building.headers["retry-after"]
        page = client.get("/")
        assert page.status_code == 503 and "正在建立" in page.text
        release.set()
        deadline = time.monotonic() + 30
        while client.get("/healthz").status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "159件" in client.post("/api/ask", json={"question": JINHU}).json()["text"]


def test_opening_that_fails_stops_the_server_with_its_error():
    stopped = threading.Event()

    def opening():
        raise RagError("corpus directory /nowhere does not exist")

    switch = Opening(opening)
    switch.on_error = stopped.set
    with TestClient(switch):
        assert stopped.wait(10)
    assert isinstance(switch.error, RagError) and "/nowhere" in str(switch.error)


# --- the real server, as an office's tool sees it (slow) -------------------------------------------


@pytest.fixture(scope="module")
def served(data_index, tmp_path_factory):
    """app_gradio.py over a copy of tests/data on 127.0.0.1, for the module."""
    import shutil

    root = tmp_path_factory.mktemp("api-app")
    shutil.copytree(DATA, root / "corpus")
    shutil.copytree(data_index, root / "index", symlinks=True)
    app = RunningApp(root / "corpus", root / "index", root / "run").wait_until_serving()
    yield app
    app.stop()


def openai_client(app, key: str = "unused"):
    from openai import OpenAI

    return OpenAI(base_url=app.url + "v1", api_key=key, max_retries=0, timeout=60)


@pytest.mark.slow
def test_openai_client_gets_cited_answers_plain_and_streamed(served):
    client = openai_client(served)
    assert [m.id for m in client.models.list()] == ["rag"]
    plain = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": JINHU}])
    assert "159件" in plain.choices[0].message.content
    extra = plain.model_extra
    assert extra["abstained"] is False and extra["citations"][0]["short_name"] == "金湖县政协"
    pieces, last = [], None
    for chunk in client.chat.completions.create(model="rag", messages=[{"role": "user", "content": JINHU}], stream=True):
        pieces.append(chunk.choices[0].delta.content or "")
        last = chunk
    assert "".join(pieces) == plain.choices[0].message.content
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"] == extra["citations"]


@pytest.mark.slow
def test_openai_client_follow_up_and_abstention(served):
    client = openai_client(served)
    history = [{"role": "user", "content": JINHU}, {"role": "assistant", "content": "县政协…提案立案159件。[1]"},
               {"role": "user", "content": "那洪泽区呢？"}]
    follow_up = client.chat.completions.create(model="rag", messages=history).choices[0].message.content
    assert "86件" in follow_up or "91件" in follow_up
    declined = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": ASKED_XUYI}])
    assert declined.model_extra["abstained"] is True and declined.model_extra["citations"] == []


@pytest.mark.slow
def test_one_port_serves_the_page_the_api_and_the_chat_app_over_one_assistant(served, tmp_path):
    page = urllib.request.urlopen(served.url, timeout=10).read().decode()
    assert "<head><script>" in page  # the chat app, with its first script (rag.render.page)
    assert "swagger" in urllib.request.urlopen(served.url + "docs", timeout=10).read().decode().lower()
    assert json.load(urllib.request.urlopen(served.url + "healthz", timeout=10))["status"] == "ok"
    name = f"xuyi-{uuid.uuid4().hex[:6]}.txt"
    boundary = "rag-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: text/plain\r\n\r\n{XUYI}\r\n--{boundary}--\r\n").encode()
    upload = urllib.request.Request(served.url + "api/reports", data=body, method="POST",
                                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert json.load(urllib.request.urlopen(upload, timeout=120))["file"] == name
    user = served.user()  # the chat app's own endpoint, through gradio_client, on the same port
    try:
        markdown, sources, _ = user.ask(ASKED_XUYI)
    finally:
        user.close()
    assert "136件" in markdown and "盱眙县政协" in sources  # the upload through the API is seen by the app


@pytest.mark.slow
def test_with_a_key_the_real_server_refuses_a_client_without_it(app_runner, data_workspace):
    from openai import AuthenticationError

    app = app_runner(*data_workspace, RAG_API_KEY="office-key-123")
    with pytest.raises(AuthenticationError) as refused:
        openai_client(app, key="wrong").models.list()
    assert refused.value.status_code == 401 and "RAG_API_KEY" in str(refused.value)
    try:
        urllib.request.urlopen(app.url + "api/reports", timeout=10)
        raise AssertionError("the API answered without a key")
    except urllib.error.HTTPError as error:
        assert error.code == 401 and json.load(error)["error"]["type"] == "authentication_error"
    assert openai_client(app, key="office-key-123").models.list().data[0].id == "rag"


@pytest.mark.slow
def test_a_network_host_without_a_key_refuses_to_start(app_runner, data_workspace, tmp_path):
    corpus, _ = data_workspace
    app = app_runner(corpus, tmp_path / "fresh-index", serve=False, RAG_HOST="0.0.0.0", RAG_PASSWORD="", RAG_API_KEY="")
    code, output = app.wait_for_exit(60)
    assert code != 0 and "RAG_API_KEY" in output and "Traceback" not in output
    assert not (tmp_path / "fresh-index").exists()
