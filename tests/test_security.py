"""The app stays on this machine unless told otherwise, and then asks for a login; keys stay out of files."""

import logging
import urllib.error
import urllib.request

from rag.assistant import Assistant
from rag.config import Settings
from rag.generate import make_generator

KEY = "sk-test-0123456789abcdef"
KEY_ENV = "RAG_TEST_LLM_KEY"
XUYI = "盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n"


def test_exposing_the_app_without_a_password_is_refused(app_runner, data_workspace, tmp_path):
    corpus, _ = data_workspace
    app = app_runner(corpus, tmp_path / "fresh-index", serve=False, RAG_HOST="0.0.0.0", RAG_PASSWORD="")
    code, output = app.wait_for_exit(60)
    assert code != 0 and "RAG_PASSWORD" in output and "Traceback" not in output
    assert not (tmp_path / "fresh-index").exists()  # refused before anything was built or bound


def test_with_a_password_the_app_needs_a_login(app_runner, data_workspace):
    app = app_runner(*data_workspace, RAG_PASSWORD="s3cret-pass", RAG_USER="office")
    try:
        urllib.request.urlopen(app.url + "config", timeout=10)
        raise AssertionError("the app served its config without a login")
    except urllib.error.HTTPError as refused:
        assert refused.code in (401, 403)
    login = urllib.request.Request(app.url + "login", data=b"username=office&password=s3cret-pass", method="POST")
    assert urllib.request.urlopen(login, timeout=10).status == 200


def test_api_key_never_lands_in_the_index_the_logs_or_the_answers(chat_server, data_workspace, embedder, tmp_path, caplog, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)  # in the environment before anything is built or asked
    corpus, index = data_workspace
    (corpus / "xuyi.txt").write_text(XUYI, encoding="utf-8")  # so that opening builds and publishes a new index
    server = chat_server("金湖县政协提案立案159件[1]。")
    settings = Settings(generator=f"openai:{server.url}|scripted|{KEY_ENV}")
    with caplog.at_level(logging.DEBUG):
        generated = Assistant.open(corpus, index, settings, embedder=embedder)
        answer = generated.ask("金湖县政协提案立案多少件？")
        # A careless server that echoes the Authorization header in its error message.
        echoing = make_generator(f"openai:{server.url}|http500|{KEY_ENV}")
        failing = Assistant(generated.corpus_dir, index, settings, generated.retriever, echoing)
        fallback = failing.ask("那洪泽区呢？", previous=["金湖县政协提案立案多少件？"])

    assert server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"  # the key was in play
    assert KEY in str(server.requests[-1]["headers"])  # and reached the echoing server
    assert answer.verified and answer.backend != "extractive"
    assert "语言模型暂不可用" in fallback.notice and "86" in fallback.text
    assert "xuyi.txt" in generated.retriever.index.manifest["corpus"]["files"]
    shown = [answer.text, answer.backend, fallback.text, fallback.notice, repr(generated.status()), caplog.text]
    assert not [text for text in shown if "sk-test" in text]
    written = [path for path in tmp_path.rglob("*") if path.is_file() and b"sk-test" in path.read_bytes()]
    assert not written
