"""The app stays on this machine unless told otherwise, and then asks for a login; keys stay out of files."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.test_app import running_app

REPO = Path(__file__).resolve().parent.parent


def test_exposing_the_app_without_a_password_is_refused(tmp_path):
    env = {**os.environ, "RAG_HOST": "0.0.0.0", "RAG_PASSWORD": "", "RAG_INDEX": str(tmp_path / "index")}
    done = subprocess.run([sys.executable, "app_gradio.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "RAG_PASSWORD" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "index").exists()  # refused before anything was built or bound


def test_with_a_password_the_app_needs_a_login(tmp_path, built_index):
    with running_app(tmp_path, built_index, RAG_PASSWORD="s3cret-pass", RAG_USER="office") as url:
        try:
            urllib.request.urlopen(url + "config", timeout=10)
            raise AssertionError("the app served its config without a login")
        except urllib.error.HTTPError as refused:
            assert refused.code in (401, 403)
        login = urllib.request.Request(url + "login", data=b"username=office&password=s3cret-pass", method="POST")
        assert urllib.request.urlopen(login, timeout=10).status == 200


def test_api_key_never_lands_in_the_index_or_the_logs(chat_server, assistant, built_index, caplog, monkeypatch):
    from rag.generate import make_generator
    from rag.pipeline import Assistant

    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-0123456789abcdef")
    server = chat_server("金湖县政协提案立案159件[1]。")
    generated = Assistant(assistant.corpus_dir, built_index, assistant.settings, assistant.retriever,
                          make_generator(f"openai:{server.url}|m|TEST_LLM_KEY"))
    answer = generated.ask("金湖县政协提案立案多少件？")
    server.stop()
    fallback = generated.ask("那洪泽区呢？", previous=["金湖县政协提案立案多少件？"])
    assert answer.verified and fallback.notice
    assert "sk-test" not in caplog.text and "sk-test" not in answer.backend + fallback.notice
    for path in built_index.rglob("*"):
        if path.is_file():
            assert b"sk-test" not in path.read_bytes()
