"""Five users chatting with the app at once for 8 s while a report is uploaded (bench/concurrent_users.py in small).

Each user is its own gradio_client session and asks in chats of two: a question of the shipped
eval set, then a follow-up ("那洪泽区呢？") whose answer depends on that session's history. Every
answer served must be the one Assistant.ask gives in-process for the same question and the same
earlier question, on the index before the upload or after it: anything else is cross-talk.
"""

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag.assistant import Assistant
from rag.config import Settings
from rag.render import answer_markdown, source_cards_html

REPO = Path(__file__).resolve().parent.parent
USERS, SECONDS = 5, 8
PLACES = ["洪泽区", "金湖县", "姜堰区", "海安市", "杜集区", "镇江市", "盱眙县"]
UPLOAD_NAME = "盱眙县政协2024年工作报告.txt"
UPLOAD_REPORT = """盱眙县政协2024年工作报告

一、聚焦中心大局，提升建言质量
2024年，盱眙县政协围绕中心、服务大局，组织委员开展龙虾产业链专题调研，走访龙虾养殖企业417家，形成调研报告9篇。
全年立案提案131件，办结率100%。
"""


@dataclass
class Served:
    user: int
    question: str
    previous: tuple[str, ...]
    started: float
    ended: float = 0.0
    markdown: str = ""
    sources: str = ""
    error: str = ""


def _questions() -> list[str]:
    rows = (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(row)["question"] for row in rows if row.strip()]


def _chat(app, user: int, questions: list[str], deadline: float, served: list[Served]) -> None:
    """One user until `deadline`: a question of the eval set, its follow-up, a new chat, and again."""
    session = app.user()
    chat, asked = [], ""
    try:
        for k in range(1000):
            if time.monotonic() >= deadline:
                return
            first = k % 2 == 0
            if first and k:
                session.new_chat()
            question = questions[(user * 5 + k) % len(questions)] if first else f"那{PLACES[(user + k) % len(PLACES)]}呢？"
            request = Served(user, question, () if first else (asked,), time.monotonic())
            try:
                request.markdown, request.sources, chat = session.ask(question, [] if first else chat)
            except Exception as exc:
                request.error = repr(exc)
            if request.markdown.startswith("出错了"):
                request.error = request.markdown
            request.ended = time.monotonic()
            served.append(request)
            asked = question
    finally:
        session.close()


def test_concurrent_users_get_their_own_answers_while_a_report_is_added(app_runner, workspace, built_index, embedder, tmp_path):
    corpus, index = workspace
    report = tmp_path / UPLOAD_NAME
    report.write_text(UPLOAD_REPORT, encoding="utf-8")
    app = app_runner(corpus, index)
    questions = _questions()
    app.user().ask(questions[0])  # the first answer loads jieba's dictionary: not a user's wait

    served: list[Served] = []
    deadline = time.monotonic() + SECONDS
    users = [threading.Thread(target=_chat, args=(app, u, questions, deadline, served)) for u in range(USERS)]
    for thread in users:
        thread.start()
    time.sleep(SECONDS / 4)
    uploader = app.user()
    upload_sent = time.monotonic()
    status = uploader.submit_upload(report).result(timeout=180)[0]
    upload_done = time.monotonic()
    found, found_sources, _ = uploader.ask("盱眙县政协走访了多少家龙虾养殖企业？")
    for thread in users:
        thread.join(timeout=SECONDS + 120)
    app.stop()

    assert "已加入" in status and "417" in found and "盱眙县政协" in found_sources
    assert not [(r.user, r.question, r.error) for r in served if r.error]
    assert {r.user for r in served} == set(range(USERS)), "a user got no answer"
    assert any(r.previous for r in served), "no follow-up was asked: sessions went untested"
    states = {
        "before": Assistant.open(REPO / "corpus", built_index, Settings(), build_if_stale=False, embedder=embedder),
        "after": Assistant.open(corpus, index, Settings(), build_if_stale=False, embedder=embedder),
    }
    crosstalk = []
    for request in served:
        allowed = ["before"] if request.ended < upload_sent else ["after"] if request.started > upload_done else ["before", "after"]
        expected = []
        for state in allowed:
            answer = states[state].ask(request.question, list(request.previous))
            expected.append((answer_markdown(answer), source_cards_html(answer)))
        if (request.markdown, request.sources) not in expected:
            crosstalk.append((request.user, request.question, request.previous, request.markdown[:80]))
    assert not crosstalk
