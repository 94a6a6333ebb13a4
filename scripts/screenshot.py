"""Refresh docs/screenshot.png: the app answering 金湖县 and then 那洪泽区呢？, with its source cards.

Starts app_gradio.py on a free port of 127.0.0.1 over a temporary copy of corpus/ (and of
index/, when there is one, so that nothing has to be embedded again), asks the two questions
in Chromium and saves the whole page. Tests never write into the repository; run this when the
page has changed enough for the README to show it:

    .venv/bin/python scripts/screenshot.py [--out PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "screenshot.png"
CHROMIUM = "/usr/bin/chromium"
QUESTIONS = ["金湖县政协提案立案多少件？", "那洪泽区呢？"]
START_TIMEOUT_S = 600  # the app builds its index first when there is none to copy
ANSWER_TIMEOUT_MS = 60_000


def start_app(workdir: Path) -> tuple[subprocess.Popen, str]:
    """The app over workdir/corpus and workdir/index (built or brought up to date first), once it serves."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CORPUS=str(workdir / "corpus"), RAG_HOST="127.0.0.1", RAG_PORT=str(port))
    log = open(workdir / "app.log", "wb")
    app = subprocess.Popen([sys.executable, str(REPO / "app_gradio.py")], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and app.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return app, url
        except OSError:
            time.sleep(0.5)
    app.kill()
    sys.exit(f"the app did not start:\n{(workdir / 'app.log').read_text(errors='replace')[-3000:]}")


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "q => document.querySelector('#sources').innerText.includes('问题：' + q)", arg=question, timeout=ANSWER_TIMEOUT_MS
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SCREENSHOT, help="where to save the PNG (default docs/screenshot.png)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: run scripts/setup.sh")
    with tempfile.TemporaryDirectory(prefix="screenshot-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(REPO / "corpus", workdir / "corpus")
        if (REPO / "index" / "current").exists():
            shutil.copytree(REPO / "index", workdir / "index", symlinks=True)
        app, url = start_app(workdir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                page.goto(url)
                page.wait_for_selector("#question textarea", timeout=30_000)
                for question in QUESTIONS:
                    ask(page, question)
                page.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=30)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
