"""The chat app in a real browser: app_gradio.py as a subprocess, driven by Playwright's Chromium."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
SCREENSHOT = REPO / "docs" / "screenshot.png"
ANSWER_TIMEOUT_MS = 60_000

XUYI_REPORT = """盱眙县政协2024年工作报告

一、聚焦中心大局，提升建言质量
2024年，盱眙县政协围绕中心、服务大局，全年立案提案136件，办结率100%，详见[提案公开](http://example.com/x)<img src=x onerror="window.__xss=1">。
组织委员视察龙虾产业发展、城乡供水一体化等重点工作12次，形成调研报告8篇。

二、加强自身建设
举办委员学习培训班3期，开展“委员讲堂”活动20场。
"""

# Records the length of the newest bot message each time the chat changes, to see it grow.
WATCH_STREAM = """() => {
  window.__lengths = [];
  new MutationObserver(() => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    if (bots.length) window.__lengths.push(bots[bots.length - 1].innerText.length);
  }).observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true});
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"app_gradio.py exited with {server.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"app_gradio.py did not serve {url} within {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def running_app(tmp_path, built_index, **env_extra):
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    index = tmp_path / "index"
    shutil.copytree(built_index, index, symlinks=True)
    port = _free_port()
    env = {**os.environ, "RAG_CORPUS": str(corpus), "RAG_INDEX": str(index), "RAG_HOST": "127.0.0.1", "RAG_PORT": str(port), **env_extra}
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "app_gradio.py"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_until_serving(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def browser_page(url):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium fonts-wqy-zenhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("#question textarea", timeout=30_000)
            yield page
        finally:
            browser.close()


@pytest.fixture
def app_url(tmp_path, built_index):
    with running_app(tmp_path, built_index) as url:
        yield url


def _ask(page, question: str) -> str:
    """Send `question`; once the streamed answer is complete (its cards arrive with the last step), return it."""
    page.evaluate(WATCH_STREAM)
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "q => document.querySelector('#sources').innerText.includes('问题：' + q)", arg=question, timeout=ANSWER_TIMEOUT_MS
    )
    return page.locator('#chat [data-testid="bot"]').last.inner_text()


def _upload(page, path: Path, expect: str) -> str:
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_function(
        "t => document.querySelector('#upload-status').innerText.includes(t)", arg=expect, timeout=ANSWER_TIMEOUT_MS
    )
    return page.inner_text("#upload-status")


@pytest.mark.slow
def test_chat_follow_up_upload_and_filters_in_a_browser(app_url, tmp_path):
    with browser_page(app_url) as page:
        assert "报告：6 份" in page.inner_text("#status")

        answer = _ask(page, "金湖县政协提案立案多少件？")
        assert "159" in answer and "[1]" in answer
        assert "金湖县政协" in page.inner_text("#sources")
        assert "159" in page.inner_text("#sources mark")
        assert len(set(page.evaluate("window.__lengths"))) >= 3, "the answer arrived in one piece, not streamed"
        page.locator("#sources .rag-copy").first.click()
        page.wait_for_function("() => document.querySelector('#sources .rag-copy').innerText === '已复制'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "159" in copied and "\n——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），" in copied

        answer = _ask(page, "那洪泽区呢？")
        assert "86" in answer or "91" in answer
        assert "洪泽区政协" in page.inner_text("#sources")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        report = tmp_path / "盱眙县政协2024年工作报告.txt"
        report.write_text(XUYI_REPORT, encoding="utf-8")
        added = _upload(page, report, "已加入")
        assert "盱眙县政协2024年工作报告.txt" in added and "个段落" in added
        assert "报告：7 份" in page.inner_text("#status")

        answer = _ask(page, "盱眙县政协立案提案多少件？")
        assert "136" in answer
        assert "盱眙县政协" in page.inner_text("#sources")
        # The report's markup is shown as text: no link, no image, nothing ran.
        assert "[提案公开](http://example.com/x)" in answer
        assert page.locator('#chat a[href*="example.com"], #chat img[src="x"], #sources img').count() == 0
        assert page.evaluate("window.__xss") is None

        blob = tmp_path / "blob.txt"
        blob.write_bytes(bytes(range(256)) * 50)
        assert "上传失败" in _upload(page, blob, "上传失败")

        page.fill("#question textarea", "政协" * 1500)  # over the library's question limit
        page.click("#send")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#chat [data-testid=\"bot\"]')].pop().innerText.startsWith('出错了：')"
        )
        assert "Traceback" not in page.inner_text("#chat")

        page.click("#new-chat")
        page.wait_for_function("() => !document.querySelector('#chat [data-testid=\"bot\"]')", timeout=10_000)
        page.click("#filter-committee input")
        page.keyboard.type("盱眙")
        page.get_by_role("option", name="盱眙县政协").click()
        page.keyboard.press("Escape")
        answer = _ask(page, "全年立案提案多少件？")
        assert "136" in answer and "159" not in answer and "86" not in answer


@pytest.mark.slow
def test_model_answers_are_marked_and_fall_back_when_the_server_stops(tmp_path, built_index, chat_server):
    server = chat_server("金湖县政协提案立案169件[1]。")  # a wrong figure: the app must flag it
    with running_app(tmp_path, built_index, RAG_GENERATOR=f"openai:{server.url}|scripted") as url, browser_page(url) as page:
        assert "openai-compatible:scripted" in page.inner_text("#status")
        answer = _ask(page, "金湖县政协提案立案多少件？")
        assert "⚠️" in answer and "未核实" in answer and "169" in answer
        assert "回答：openai-compatible:scripted" in answer and "1 句未能核实" in answer
        server.stop()
        answer = _ask(page, "那洪泽区呢？")
        assert "语言模型暂不可用" in answer and "86" in answer and "⚠️" not in answer
