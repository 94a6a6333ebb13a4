"""The screen a new colleague sees, in Chromium: every word Chinese (Gradio's own included), the index as
it is now on every open page, text that axe-core finds legible, and an answer with its first source in
view on a laptop (1366×768) and a phone (390×844). app_gradio.py runs over a copy of tests/data."""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
# scripts/setup.sh installs axe-core there with npm; AXE_CORE_JS points elsewhere.
AXE = Path(os.environ.get("AXE_CORE_JS", REPO / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))
TIMEOUT_MS = 60_000
LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
TABS = ["问答", "素材篮", "专题概览", "使用说明"]
# Latin words a Chinese page may hold: format and product names, and a model's. A file suffix (".docx")
# is not counted as a word.
ALLOWED_WORDS = {"PDF", "Word", "Markdown", "OCR", "E5", "MB"}
# The basket's note on fonts names the fonts installed on this machine, as they are called.
NAMED_FONTS = "#export-note"
XUYI = "盱眙县政协2024年工作报告\n\n一、聚焦中心大局，提升建言质量\n2024年，盱眙县政协围绕中心、服务大局，全年立案提案136件，办结率100%。\n"


@pytest.fixture
def small_app(app_runner, tmp_path):
    """The app over a private copy of tests/data (its index built on start, in seconds)."""
    shutil.copytree(DATA, tmp_path / "corpus")
    return app_runner(tmp_path / "corpus", tmp_path / "index")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium fonts-wqy-zenhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, url: str, viewport: dict, locale: str = "zh-CN"):
    page = browser.new_context(viewport=viewport, locale=locale).new_page()
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('报告：')")
    return page


def _ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "q => document.querySelector('#sources').innerText.includes('问题：' + q)", arg=question, timeout=TIMEOUT_MS
    )
    page.wait_for_timeout(300)  # the chat's last render


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_function("n => document.querySelector('[role=tab][aria-selected=true]').innerText.trim() === n", arg=name)
    page.wait_for_timeout(300)


def _latin_words(page) -> set[str]:
    text = page.evaluate(
        "s => document.body.innerText.replace((document.querySelector(s) || {innerText: ''}).innerText, '')", NAMED_FONTS
    )
    return set(re.findall(r"(?<![.\w])[A-Za-z][A-Za-z0-9]*", text)) - ALLOWED_WORDS


def _serious_violations(page) -> list[str]:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run scripts/setup.sh (npm install axe-core)")
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {json.dumps(node.get('failureSummary', ''), ensure_ascii=False)[:300]}"
        for v in found if v["impact"] in ("serious", "critical") for node in v["nodes"]
    ]


def _in_view(page, selector: str) -> bool:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"
    )


def test_every_tab_is_chinese_legible_and_fits_a_laptop_and_a_phone(small_app, browser, tmp_path):
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page = _open(browser, small_app.url, viewport)
        _ask(page, "金湖县政协提案立案多少件？")
        if viewport is LAPTOP:  # the answer and its first source, side by side, without scrolling
            assert page.evaluate("window.scrollY") == 0
            assert _in_view(page, '#chat [data-testid="bot"]') and _in_view(page, "#sources .rag-card")
            # A passage from the report's 2025年工作安排 is a plan, and its card says so.
            _ask(page, "姜堰区政协2025年在委员服务管理上有什么安排？")
            assert "2025年计划" in page.inner_text("#sources .rag-card .rag-plan")
        english, violations = {}, {}
        for tab in TABS:
            _tab(page, tab)
            if tab == "专题概览":
                page.click("#ov-run")
                page.wait_for_selector("#overview table", timeout=TIMEOUT_MS)
            page.screenshot(path=str(tmp_path / f"{name}-{tab}.png"), full_page=True)
            english[tab] = _latin_words(page)
            violations[tab] = _serious_violations(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], f"{name} {tab} scrolls sideways"
        assert {tab: words for tab, words in english.items() if words} == {}, "English words on a Chinese screen"
        assert {tab: found for tab, found in violations.items() if found} == {}, "axe-core: serious or critical"
        assert page.locator("[role=tab]").all_inner_texts() == TABS
        page.context.close()


def test_gradio_speaks_chinese_whatever_the_browser_language(small_app, browser, tmp_path):
    page = _open(browser, small_app.url, LAPTOP, locale="en-US")
    zone = page.inner_text("#upload")
    assert "将文件拖放到此处" in zone and "点击上传" in zone, zone
    assert not _latin_words(page), _latin_words(page)
    report = tmp_path / "海安市政协工作总结.md"
    shutil.copy(DATA / "haian.md", report)
    page.set_input_files("#upload input[type=file]", str(report))  # read, and its identity shown
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('请核对')", timeout=TIMEOUT_MS)
    assert not _latin_words(page), _latin_words(page)


def test_an_upload_reaches_every_open_and_new_page(small_app, browser, tmp_path):
    watching = _open(browser, small_app.url, LAPTOP)  # open before the upload, never reloaded
    assert "报告：6 份" in watching.inner_text("#status")
    page = _open(browser, small_app.url, LAPTOP)

    refused = tmp_path / "测试报告.xls"
    refused.write_bytes(b"\xd0\xcf\x11\xe0")
    page.set_input_files("#upload input[type=file]", str(refused))
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('上传失败')")
    said = page.inner_text("#upload-status")
    assert "测试报告.xls" in said and "可上传" in said and "Word（.doc .docx）" in said and "PDF" in said, said
    assert page.locator("[data-testid=toast-body]").count() == 0

    report = tmp_path / "盱眙县政协2024年工作报告.txt"
    report.write_text(XUYI, encoding="utf-8")
    page.set_input_files("#upload input[type=file]", str(report))
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('请核对')", timeout=TIMEOUT_MS)
    page.click("#id-confirm")
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('已加入')", timeout=TIMEOUT_MS)
    assert "报告：7 份" in page.inner_text("#status")

    started = time.monotonic()
    watching.wait_for_function("() => document.querySelector('#status').innerText.includes('报告：7 份')", timeout=30_000)
    assert time.monotonic() - started < 25
    new = _open(browser, small_app.url, LAPTOP)
    # the page's load event fills the status; the layout's first value may still show
    new.wait_for_function("() => document.querySelector('#status').innerText.includes('报告：7 份')", timeout=10_000)
    for shown in (watching, new):
        shown.click("#filter-report input")
        options = shown.get_by_role("option").all_inner_texts()
        assert "盱眙县政协《盱眙县政协2024年工作报告》（2024）" in options, options
        assert "金湖县政协《踔厉奋发担使命 勇毅前行谱新篇》（2023）" in options, options
        shown.keyboard.press("Escape")

    # 专题概览: the two committees to compare are asked for in 两地对比 only, and offer the new one.
    _tab(new, "专题概览")
    assert not new.locator("#ov-first").is_visible() and not new.locator("#ov-second").is_visible()
    new.get_by_label("两地对比").check()
    new.wait_for_selector("#ov-first", state="visible")
    new.click("#ov-second input")
    assert "盱眙县政协" in new.get_by_role("option").all_inner_texts()
    new.keyboard.press("Escape")
    new.get_by_label("数字汇总").check()
    new.wait_for_selector("#ov-first", state="hidden")
