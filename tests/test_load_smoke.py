"""bench/load_test.py in small: 5 users chatting with the app at once for 8 s, one upload midway."""

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load_test_module():
    if "load_test" not in sys.modules:
        spec = importlib.util.spec_from_file_location("load_test", REPO / "bench" / "load_test.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["load_test"] = module  # dataclasses look their module up while the class is made
        spec.loader.exec_module(module)
    return sys.modules["load_test"]


load_test = _load_test_module()


@pytest.mark.slow
def test_concurrent_users_get_their_own_answers_while_a_report_is_added(tmp_path, built_index, embedder):
    corpus, index = load_test.copy_workspace(REPO / "corpus", built_index, tmp_path)
    report = tmp_path / load_test.UPLOAD_NAME
    report.write_text(load_test.UPLOAD_REPORT, encoding="utf-8")
    questions = load_test.questions_from(load_test.default_questions())

    with load_test.running_app(corpus, index, tmp_path / "app") as app:
        run = load_test.run_load(app.url, questions, users=5, seconds=8, upload_report=report, upload_at=0.25)
    check = load_test.check_answers(run, (REPO / "corpus", built_index), (corpus, index), embedder)

    errors = [(r.user, r.question, r.error) for r in run.requests if r.error]
    assert not errors
    assert not [(r.user, r.question, r.previous, r.markdown[:80]) for r, _ in check.crosstalk]
    answered = {r.user for r in run.requests if not r.error}
    assert answered == set(range(5)), f"users without an answer: {set(range(5)) - answered}"
    assert any(r.question.startswith("那") for r in run.requests), "no follow-up was asked: sessions went untested"
    upload = run.upload
    assert not upload.error and "已加入" in upload.status
    assert check.found_upload, f"the uploaded report was not found: {upload.found and upload.found.markdown[:200]}"
