"""Concurrent users of the chat app: N simulated users asking at once for D seconds, one upload midway.

app_gradio.py runs as a subprocess on 127.0.0.1 over temporary copies of corpus/ and of an
index. Each user is its own gradio_client.Client, hence its own Gradio session, and asks the
shared dev questions in chats of three, the second a follow-up. After the run every answer is compared with what
rag.assistant.Assistant.ask gives in-process for the same question and the same earlier
questions: an answer that differs is counted as cross-talk. Prints a markdown table.

    .venv/bin/python bench/concurrent_users.py [--users 20] [--seconds 60] [--index DIR]

tests/test_concurrent_users.py is this run in small (5 users, 8 s), with its own launcher in tests/conftest.py.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rag.config import use_offline_defaults

use_offline_defaults()  # before gradio_client (and huggingface_hub) are imported: they read these at import time

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app_gradio.py"
HOST = "127.0.0.1"  # the only address this script ever talks to
SHARED_QUESTIONS = Path("/work/shared/dev/questions.jsonl")
CHAT_LENGTH = 3  # questions per chat before the user starts a new one
FOLLOW_UP_PLACES = ["洪泽区", "金湖县", "姜堰区", "海安市", "杜集区", "镇江市", "盱眙县"]
REQUEST_TIMEOUT_S = 60.0
UPLOAD_TIMEOUT_S = 180.0
START_TIMEOUT_S = 180.0  # a stale index is rebuilt before the app serves

UPLOAD_NAME = "盱眙县政协2024年工作报告.txt"
UPLOAD_REPORT = """盱眙县政协2024年工作报告

一、聚焦中心大局，提升建言质量
2024年，盱眙县政协围绕中心、服务大局，组织委员开展龙虾产业链专题调研，走访龙虾养殖企业417家，形成调研报告9篇。
全年立案提案131件，办结率100%。

二、加强自身建设
举办委员学习培训班3期，开展“委员讲堂”活动20场。
"""
UPLOAD_QUESTION = "盱眙县政协走访了多少家龙虾养殖企业？"
UPLOAD_FIGURE = "417"


# --- the app as a subprocess ----------------------------------------------------------------


@dataclass
class RunningApp:
    process: subprocess.Popen
    url: str
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_app(corpus: Path, index: Path, workdir: Path, app: Path = APP, **env_extra: str) -> RunningApp:
    """Start `app` on a free port of 127.0.0.1 over `corpus` and `index`; return once it serves.

    Raises RuntimeError with the end of the app's log if it exits or is not serving in time.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("RAG_EMBEDDER", "RAG_GENERATOR")}
    env.update(
        RAG_CORPUS=str(corpus), RAG_INDEX=str(index), RAG_HOST=HOST, RAG_PORT=str(port),
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
        GRADIO_TEMP_DIR=str(workdir / "gradio-tmp"), **env_extra,
    )
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"app-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, str(app)], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = RunningApp(process, f"http://{HOST}:{port}/", log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{app.name} exited with {process.returncode}:\n{running.log_tail()}")
        try:
            with urllib.request.urlopen(running.url, timeout=2) as response:
                if response.status == 200:
                    return running
        except OSError:
            time.sleep(0.3)
    stop_app(running)
    raise RuntimeError(f"{app.name} did not serve {running.url} within {START_TIMEOUT_S:.0f} s:\n{running.log_tail()}")


def stop_app(app: RunningApp, kill: bool = False) -> None:
    """SIGKILL at once with `kill`, else SIGTERM and SIGKILL after 10 s; waits for the exit."""
    if app.process.poll() is None:
        app.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        app.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.process.kill()
        app.process.wait(timeout=10)


@contextlib.contextmanager
def running_app(corpus: Path, index: Path, workdir: Path, app: Path = APP, **env_extra: str):
    running = start_app(corpus, index, workdir, app, **env_extra)
    try:
        yield running
    finally:
        stop_app(running)


def copy_workspace(corpus: Path, index: Path, into: Path) -> tuple[Path, Path]:
    """Private copies of a corpus and an index under `into`, which the app may change."""
    shutil.copytree(corpus, into / "corpus")
    shutil.copytree(index, into / "index", symlinks=True)
    return into / "corpus", into / "index"


# --- one user's view of the app -------------------------------------------------------------


def connect(url: str):
    from gradio_client import Client

    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"{url}: this benchmark only talks to {HOST}")
    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


@dataclass(frozen=True)
class Reply:
    question: str  # the user message the app echoed into the chat
    markdown: str  # the finished assistant message
    sources: str  # the source cards' HTML
    chat: list


def ask(client, question: str, chat: list, timeout: float = REQUEST_TIMEOUT_S) -> Reply:
    """One question through the app's chat endpoint, as the send button does; the final state."""
    job = client.submit(question, chat, [], [], [], api_name="/ask")
    try:
        _, chat, sources = job.result(timeout=timeout)
    except BaseException:
        job.cancel()
        raise
    return Reply(_text(chat[-2]), _text(chat[-1]), sources or "", chat)


def new_chat(client) -> None:
    client.predict(api_name="/new_chat")


def submit_upload(client, path: Path):
    """Start uploading `path` through the drop zone; the gradio_client Job."""
    from gradio_client import handle_file

    return client.submit(handle_file(str(path)), api_name="/upload")


def upload(client, path: Path, timeout: float = UPLOAD_TIMEOUT_S) -> str:
    """Upload `path` through the drop zone; the app's status line (已加入… or 上传失败…)."""
    job = submit_upload(client, path)
    try:
        return job.result(timeout=timeout)[0]
    except BaseException:
        job.cancel()
        raise


# --- the load run ---------------------------------------------------------------------------


@dataclass
class Request:
    user: int
    question: str
    previous: tuple[str, ...]  # the earlier questions of the same chat, oldest first
    started: float
    ended: float
    markdown: str = ""
    sources: str = ""
    error: str = ""

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


@dataclass
class UploadRun:
    sent: float = 0.0
    done: float = 0.0
    status: str = ""
    error: str = ""
    found: Request | None = None

    @property
    def seconds(self) -> float:
        return self.done - self.sent


@dataclass
class LoadRun:
    users: int
    seconds: float
    started: float
    ended: float = 0.0
    requests: list[Request] = field(default_factory=list)
    upload: UploadRun | None = None


def questions_from(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line)["question"] for line in lines if line.strip()]


def default_questions() -> Path:
    return SHARED_QUESTIONS if SHARED_QUESTIONS.exists() else REPO / "eval" / "questions.jsonl"


def user_question(questions: list[str], user: int, k: int) -> str:
    """The k-th question of a user: the second of every chat is a follow-up ("那洪泽区呢？").

    Its answer depends on the question before it in the same session, so a session that
    saw another user's history answers it differently from Assistant.ask.
    """
    if k % CHAT_LENGTH == 1:
        return f"那{FOLLOW_UP_PLACES[(user + k) % len(FOLLOW_UP_PLACES)]}呢？"
    return questions[(user * 5 + k) % len(questions)]


def _user(client, user: int, questions: list[str], deadline: float, max_requests: int, out: list[Request], lock) -> None:
    """Ask user_question(..., k) for k = 0, 1, ... in chats of CHAT_LENGTH until `deadline` or `max_requests`."""
    chat, previous = [], []
    for k in range(max_requests):
        if time.monotonic() >= deadline:
            return
        question = user_question(questions, user, k)
        if k and k % CHAT_LENGTH == 0:
            try:
                new_chat(client)
            except Exception as exc:
                with lock:
                    out.append(Request(user, question, (), time.monotonic(), time.monotonic(), error=f"new_chat: {exc!r}"))
                time.sleep(0.2)  # a dead app must not turn this loop into a spin
                continue
            chat, previous = [], []
        request = Request(user, question, tuple(previous), time.monotonic(), 0.0)
        try:
            reply = ask(client, question, chat)
            request.markdown, request.sources, chat = reply.markdown, reply.sources, reply.chat
            if reply.markdown.startswith("出错了"):
                request.error = reply.markdown  # and the app does not keep the question
            else:
                previous.append(question)
                if reply.question != question:
                    request.error = f"the chat shows the question {reply.question!r}"
        except Exception as exc:
            request.error = repr(exc)
        request.ended = time.monotonic()
        with lock:
            out.append(request)
        if request.error:
            time.sleep(0.2)


def _uploader(url: str, report: Path, question: str, result: UploadRun) -> None:
    client = None
    try:
        client = connect(url)
        result.sent = time.monotonic()
        result.status = upload(client, report)
        result.done = time.monotonic()
        if "已加入" not in result.status:
            result.error = result.status
            return
        request = Request(-1, question, (), time.monotonic(), 0.0)
        try:
            reply = ask(client, question, [])
            request.markdown, request.sources = reply.markdown, reply.sources
        except Exception as exc:
            request.error = repr(exc)
        request.ended = time.monotonic()
        result.found = request
    except Exception as exc:
        result.done = result.done or time.monotonic()
        result.error = repr(exc)
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


def run_load(
    url: str,
    questions: list[str],
    users: int,
    seconds: float,
    upload_report: Path | None = None,
    upload_at: float = 0.5,
    max_requests_per_user: int = 1000,
) -> LoadRun:
    """`users` sessions asking for `seconds`; with `upload_report`, one more client uploads it at
    `upload_at` × `seconds` and then asks UPLOAD_QUESTION. Every wait is bounded: a user stops at
    the deadline or after `max_requests_per_user`, a request after REQUEST_TIMEOUT_S."""
    warm = connect(url)
    ask(warm, questions[0], [])  # the first answer loads jieba's dictionary: not a user's wait
    with concurrent.futures.ThreadPoolExecutor(8) as pool:  # each connect is a few round trips
        clients = list(pool.map(lambda _: connect(url), range(users), timeout=REQUEST_TIMEOUT_S))
    lock = threading.Lock()
    run = LoadRun(users, seconds, time.monotonic())
    deadline = run.started + seconds
    threads = [
        threading.Thread(target=_user, args=(c, u, questions, deadline, max_requests_per_user, run.requests, lock), daemon=True)
        for u, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    uploader = None
    if upload_report is not None:
        run.upload = UploadRun()
        time.sleep(max(0.0, run.started + seconds * upload_at - time.monotonic()))
        uploader = threading.Thread(target=_uploader, args=(url, upload_report, UPLOAD_QUESTION, run.upload), daemon=True)
        uploader.start()
    give_up = deadline + REQUEST_TIMEOUT_S + 10
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    if uploader is not None:
        uploader.join(timeout=max(0.0, run.upload.sent + UPLOAD_TIMEOUT_S + REQUEST_TIMEOUT_S + 10 - time.monotonic()))
    run.ended = time.monotonic()
    stuck = sum(t.is_alive() for t in threads) + (uploader is not None and uploader.is_alive())
    if stuck:
        raise RuntimeError(f"{stuck} client threads did not finish within their time limits")
    for client in [warm, *clients]:
        with contextlib.suppress(Exception):
            client.close()
    return run


# --- checking the answers in-process --------------------------------------------------------


@dataclass
class Check:
    crosstalk: list[tuple[Request, str]]  # (request, what was expected instead)
    found_upload: bool


def check_answers(run: LoadRun, before_dirs: tuple[Path, Path], after_dirs: tuple[Path, Path], embedder=None) -> Check:
    """Compare each served answer with Assistant.ask on the index the app held at the time.

    A request that ended before the upload was sent must match the index before it, one that
    started after the upload returned the index after it; one that overlapped may match either.
    The app must be stopped (it would be rebuilding `after_dirs` under us otherwise).
    """
    from rag import render
    from rag.config import Settings
    from rag.embed import make_embedder
    from rag.assistant import Assistant

    settings = Settings()
    embedder = embedder or make_embedder(settings.embedder)
    states = {
        name: Assistant.open(corpus, index, settings, build_if_stale=False, embedder=embedder)
        for name, (corpus, index) in (("before", before_dirs), ("after", after_dirs))
    }
    cache: dict[tuple, tuple[str, str]] = {}

    def expected(state: str, request: Request) -> tuple[str, str]:
        key = (state, request.previous, request.question)
        if key not in cache:
            answer = states[state].ask(request.question, list(request.previous))
            cache[key] = (render.answer_markdown(answer), render.source_cards_html(answer))
        return cache[key]

    upload = run.upload
    crosstalk = []
    for request in run.requests:
        if request.error:
            continue
        if upload is None or not upload.sent or request.ended < upload.sent:
            allowed = ["before"]
        elif upload.done and not upload.error and request.started > upload.done:
            allowed = ["after"]
        else:
            allowed = ["before", "after"]
        options = [expected(state, request) for state in allowed]
        if (request.markdown, request.sources) not in options:
            crosstalk.append((request, options[0][0]))
    found = bool(
        upload and upload.found and not upload.found.error
        and UPLOAD_FIGURE in upload.found.markdown and "盱眙县政协" in upload.found.sources
    )
    return Check(crosstalk, found)


# --- the report -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)]


def summary(run: LoadRun, check: Check) -> dict:
    served = [r for r in run.requests if not r.error]
    latencies = [r.ms for r in served]
    upload = run.upload
    during = [r for r in served if upload and upload.sent <= r.ended <= (upload.done or run.ended)]
    return {
        "users": run.users,
        "seconds": run.seconds,
        "served": len(served),
        "errors": len(run.requests) - len(served),
        "crosstalk": len(check.crosstalk),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "rps": len(served) / (run.ended - run.started),
        "upload_s": upload.seconds if upload and upload.done and not upload.error else None,
        "during_upload": len(during) if upload else None,
        "found": check.found_upload if upload else None,
        "users_answered": len({r.user for r in served}),
    }


def markdown_table(row: dict) -> str:
    head = (
        "| users | seconds | requests served | errors | cross-talk | p50 ms | p95 ms | p99 ms | requests/s "
        "| upload s | answered during upload | new report found |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    upload_s = "–" if row["upload_s"] is None else f"{row['upload_s']:.1f}"
    during = "–" if row["during_upload"] is None else str(row["during_upload"])
    found = "–" if row["found"] is None else ("yes" if row["found"] else "**no**")
    return head + (
        f"\n| {row['users']} | {row['seconds']:g} | {row['served']} | {row['errors']} | {row['crosstalk']} "
        f"| {row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} | {row['rps']:.2f} | {upload_s} | {during} | {found} |"
    )


def _cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _queue_setting(app: Path) -> str:
    found = re.findall(r"queue\(([^)]*)\)", app.read_text(encoding="utf-8"))
    return f"demo.queue({found[-1]})" if found else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--index", type=Path, help="an index of corpus/ to copy (default: build one into a temp dir)")
    parser.add_argument("--questions", type=Path, default=default_questions())
    parser.add_argument("--app", type=Path, default=APP, help="the app script to start (default app_gradio.py)")
    parser.add_argument("--no-upload", action="store_true", help="skip the upload midway")
    args = parser.parse_args(argv)
    if args.users < 1 or args.seconds <= 0:
        parser.error("--users and --seconds must be positive")

    from machine import code_version, cpu_model

    from rag.config import Settings
    from rag.embed import make_embedder
    from rag.index import build_index

    questions = questions_from(args.questions)
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        tmp = Path(tmp)
        source_index = args.index
        if source_index is None:
            source_index = tmp / "source-index"
            started = time.perf_counter()
            settings = Settings()
            build_index(REPO / "corpus", source_index, make_embedder(settings.embedder), settings)
            print(f"built an index of corpus/ in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        corpus, index = copy_workspace(REPO / "corpus", source_index, tmp / "app")
        report = tmp / UPLOAD_NAME
        report.write_text(UPLOAD_REPORT, encoding="utf-8")
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        with running_app(corpus, index, tmp / "app", app=args.app) as app:
            print(f"app serving after {time.perf_counter() - started:.0f} s", file=sys.stderr)
            app_cpu = _cpu_seconds(app.process.pid)
            driver_cpu = time.process_time()
            run = run_load(app.url, questions, args.users, args.seconds, None if args.no_upload else report)
            app_cpu = _cpu_seconds(app.process.pid) - app_cpu
            driver_cpu = time.process_time() - driver_cpu
        load_after = os.getloadavg()[0]
        started = time.perf_counter()
        check = check_answers(run, (REPO / "corpus", source_index), (corpus, index))
        print(f"checked {len(run.requests)} answers in-process in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    row = summary(run, check)
    wall = run.ended - run.started
    command = shlex.join([".venv/bin/python", "bench/concurrent_users.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"command: `{command}`")
    print(f"date: {datetime.now(timezone.utc).isoformat(timespec='seconds')}; code: {code_version()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average {load_before:.2f} at start, {load_after:.2f} at end")
    print(f"app: {args.app.name}, {_queue_setting(args.app)}; questions: {args.questions} ({len(questions)})")
    print(
        f"CPU use over {wall:.0f} s: app {app_cpu / wall:.2f} cores, load driver {driver_cpu / wall:.2f} cores; "
        f"{row['users_answered']} of {row['users']} users answered"
    )
    print()
    print(markdown_table(row))
    for request, want in check.crosstalk[:5]:
        print(f"\ncross-talk: user {request.user} asked {request.question!r} after {request.previous!r}\n"
              f"  got:      {request.markdown[:200]!r}\n  expected: {want[:200]!r}")
    errors = [r for r in run.requests if r.error]
    for request in errors[:5]:
        print(f"\nerror: user {request.user}, {request.question!r}: {request.error[:300]}")
    if run.upload and run.upload.error:
        print(f"\nupload failed: {run.upload.error[:300]}")
    ok = not errors and not check.crosstalk and (args.no_upload or check.found_upload)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
