"""The chat app in a real browser: app_gradio.py as a subprocess (tests/conftest.py), driven by Playwright's Chromium."""

import contextlib
import re
from pathlib import Path

import pytest
from docx import Document

from rag.readers import read_text

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
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
def app_url(app_runner, workspace):
    return app_runner(*workspace).url


def _ask(page, question: str) -> str:
    """Send `question`; once the streamed answer is complete (its cards arrive with the last step), return it."""
    page.evaluate(WATCH_STREAM)
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "q => document.querySelector('#sources').innerText.includes('问题：' + q)", arg=question, timeout=ANSWER_TIMEOUT_MS
    )
    return page.locator('#chat [data-testid="bot"]').last.inner_text()


def _status_says(page, text: str) -> str:
    page.wait_for_function(
        "t => document.querySelector('#upload-status').innerText.includes(t)", arg=text, timeout=ANSWER_TIMEOUT_MS
    )
    return page.inner_text("#upload-status")


def _upload(page, path: Path, expect: str) -> str:
    """Drop `path`; when it reads as a report, confirm the identity shown as it was guessed."""
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_function(
        "() => /请核对|上传失败/.test(document.querySelector('#upload-status').innerText)", timeout=ANSWER_TIMEOUT_MS
    )
    if "请核对" in page.inner_text("#upload-status"):
        page.click("#id-confirm")
    return _status_says(page, expect)


def _identity_shown(page) -> dict:
    fields = {"committee": "#id-committee", "short_name": "#id-short", "year": "#id-year", "title": "#id-title"}
    return {name: page.input_value(f"{selector} input, {selector} textarea") for name, selector in fields.items()}


@pytest.mark.slow
def test_chat_follow_up_upload_and_filters_in_a_browser(app_url, tmp_path):
    with browser_page(app_url) as page:
        assert "报告：6 份" in page.inner_text("#status")

        answer = _ask(page, "金湖县政协提案立案多少件？")
        assert "159" in answer and "[1]" in answer and answer.startswith("直接回答")
        assert "金湖县政协" in page.inner_text("#sources")
        assert "159" in page.inner_text("#sources mark")
        shown = set(page.evaluate("window.__lengths")) - {0, len("正在检索…")}  # a new message, the placeholder
        assert shown == {len(answer)}, f"an extractive answer is shown whole, at once, not typed out: {sorted(shown)}"
        page.locator("#sources .rag-copy").first.click()
        page.wait_for_function("() => document.querySelector('#sources .rag-copy').innerText === '已复制'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "159" in copied and "\n——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），" in copied

        answer = _ask(page, "那洪泽区呢？")
        assert "86" in answer or "91" in answer
        assert "洪泽区政协" in page.inner_text("#sources")
        # scripts/screenshot.py refreshes docs/screenshot.png; a test never writes into the repository.
        page.screenshot(path=str(tmp_path / "screenshot.png"), full_page=True)
        assert (tmp_path / "screenshot.png").read_bytes().startswith(b"\x89PNG")

        answer = _ask(page, "金胡县政协提案立案多少件？")  # one character off: read as 金湖县, and said so
        assert "按“金湖县”理解" in answer and "159" in answer and answer.startswith("直接回答")
        answer = _ask(page, "盱眙县政协提案立案多少件？")  # no report of 盱眙 yet: declined, nearest passages shown
        assert answer.startswith("报告未提及") and "没有找到" in answer and "可能相关" in answer
        assert "[1]" not in answer.split("可能相关")[0]

        report = tmp_path / "盱眙县政协2024年工作报告.txt"
        report.write_text(XUYI_REPORT, encoding="utf-8")
        page.set_input_files("#upload input[type=file]", str(report))
        _status_says(page, "请核对")
        shown = _identity_shown(page)  # read off the file, before anything is written
        assert (shown["short_name"], shown["year"]) == ("盱眙县政协", "2024"), shown
        page.click("#id-confirm")
        added = _status_says(page, "已加入")
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
def test_model_answers_are_marked_and_fall_back_when_the_server_stops(app_runner, workspace, chat_server):
    server = chat_server("金湖县政协提案立案169件[1]。")  # a wrong figure: the app must flag it
    app = app_runner(*workspace, RAG_GENERATOR=f"openai:{server.url}|scripted")
    with browser_page(app.url) as page:
        assert "openai-compatible:scripted" in page.inner_text("#status")
        answer = _ask(page, "金湖县政协提案立案多少件？")
        assert "⚠️" in answer and "未核实" in answer and "169" in answer
        assert len(set(page.evaluate("window.__lengths"))) >= 3, f"the model's text did not stream: {page.evaluate('window.__lengths')}"
        assert "回答：openai-compatible:scripted" in answer and "1 句未能核实" in answer
        server.stop()
        answer = _ask(page, "那洪泽区呢？")
        assert "语言模型暂不可用" in answer and "86" in answer and "⚠️" not in answer


# --- the speech-preparation workspace -------------------------------------------------------

JINHU = "县政协十一届二次会议提案立案159件,办结率和满意率均为100%。"
FILE_NAME = re.compile(r"\.(txt|md|html|docx?|pdf)\b|\d{3}_[0-9a-f]{16}")
JINHU_SOURCE = "——政协淮安市金湖县委员会《踔厉奋发担使命 勇毅前行谱新篇》（2023年），服务中心大局 在助力高质量发展上勇担当、建真言"
ZHENJIANG_SOURCE = "——政协镇江市委员会《奮力實干擔當 書寫精彩答卷——鎮江市政協2024年履職工作綜述》（2024年），"


def _wait_count(page, selector: str, count: int) -> None:
    page.wait_for_function(
        "([s, n]) => document.querySelector(s) && document.querySelector(s).innerText.includes('素材篮：' + n + ' 条')",
        arg=[selector, count], timeout=ANSWER_TIMEOUT_MS,
    )


def _basket_texts(page) -> list[str]:
    return page.locator("#basket li.rag-item p.rag-item-text").all_inner_texts()


@pytest.mark.slow
def test_basket_survives_reload_and_exports_docx_with_sources(app_url, tmp_path):
    """The speech-preparation workspace: add quotes from answers and an overview to the basket, reload,
    annotate and reorder, export .docx, and read the downloaded file back."""
    with browser_page(app_url) as page:
        _ask(page, "金湖县政协提案立案多少件？")
        add = page.locator("#sources button.rag-add").first
        assert add.get_attribute("title") == JINHU and add.get_attribute("data-basket").startswith("001_")
        add.click()
        _wait_count(page, "#basket-count", 1)

        _ask(page, "镇江市政协提案办理满意率和解决率是多少？")
        page.locator("#sources button.rag-add").first.click()
        _wait_count(page, "#basket-count", 2)

        page.reload()
        page.wait_for_selector("#question textarea")
        _wait_count(page, "#basket-count", 2)  # restored from the browser's storage, checked by the server
        page.get_by_role("tab", name="素材篮").click()
        page.wait_for_selector("#basket li.rag-item")
        first, second = _basket_texts(page)
        assert first == JINHU and "滿意率保持100%" in second and "解決率76.5%" in second

        item = page.locator("#basket li.rag-item").nth(1)
        item.locator("textarea.rag-note").fill("用于第二部分")
        item.locator("button[data-action=note]").click()
        page.wait_for_function("() => document.querySelector('#basket-status').innerText.includes('备注已保存')")
        page.locator("#basket li.rag-item").nth(1).locator("button[data-action=up]").click()
        page.wait_for_function(
            "t => document.querySelector('#basket li.rag-item p.rag-item-text').innerText === t", arg=second
        )
        assert _basket_texts(page) == [second, JINHU]
        assert page.locator("#basket li.rag-item textarea.rag-note").first.input_value() == "用于第二部分"

        with page.expect_download() as download:
            page.click("#export-docx")
        saved = tmp_path / "export.docx"
        download.value.save_as(saved)
        assert download.value.suggested_filename.endswith(".docx")
        paragraphs = [p.text for p in Document(str(saved)).paragraphs]
        assert paragraphs.index(second) < paragraphs.index(JINHU)
        assert paragraphs[paragraphs.index(second) + 1].startswith(ZHENJIANG_SOURCE)
        assert paragraphs[paragraphs.index(second) + 2] == "备注：用于第二部分"
        assert paragraphs[paragraphs.index(JINHU) + 1].startswith(JINHU_SOURCE)
        sources = paragraphs[paragraphs.index("来源") + 1 :]
        assert len(sources) == 2 and sources[0].startswith("1. 政协镇江市委员会") and sources[1].startswith("2. 政协淮安市金湖县委员会")
        assert not FILE_NAME.search("\n".join(paragraphs))  # the report, never its file, is named
        # Both quotes are exact slices of the report files.
        for text, doc in ((JINHU, "001_7afb2be384d67ebd.txt"), (second, "004_96ed0689c85e4c9d.txt")):
            assert text in read_text(REPO / "corpus" / doc)

        # The topic overview: one row per committee, cells cited, and its quotes go into the basket too.
        page.get_by_role("tab", name="专题概览").click()
        page.fill("#theme textarea", "提案")
        page.click("#ov-run")
        page.wait_for_selector("#overview tr[data-committee]", timeout=ANSWER_TIMEOUT_MS)
        assert page.locator("#overview tr[data-committee]").count() == 6
        hongze = page.locator('#overview tr[data-committee="洪泽区政协"]')
        assert "提交提案91件" in hongze.inner_text() and "[" in hongze.locator("a.rag-cite").first.inner_text()
        hongze.locator("button.rag-add").first.click()
        _wait_count(page, "#basket-status", 3)

        # The figure finder asked in the chat: a count there, every cited sentence in the panel below.
        page.get_by_role("tab", name="问答").click()
        page.fill("#question textarea", "列出所有报告中关于提案的数字")
        page.click("#send")
        page.wait_for_function(
            "() => document.querySelector('#sources').innerText.includes('立案86件')", timeout=ANSWER_TIMEOUT_MS
        )
        panel = page.locator("#sources").inner_text()
        assert JINHU in panel and "解決率76.5%" in panel
        reply = page.locator('#chat [data-testid="bot"]').last.inner_text()
        assert "含数字的原句" in reply and "金湖县政协 2 句" in reply


def _draft_keys(page) -> list[str]:
    return page.eval_on_selector_all("#basket li.rag-item", "rows => rows.map(r => r.dataset.key)")


def _wait_keys(page, keys: list[str]) -> None:
    page.wait_for_function(
        "keys => JSON.stringify([...document.querySelectorAll('#basket li.rag-item')].map(r => r.dataset.key)) === JSON.stringify(keys)",
        arg=keys, timeout=ANSWER_TIMEOUT_MS,
    )


def _add_first(page, selector: str, count: int, taken: tuple = ()) -> str:
    """Click the first button of `selector` adding a quote not `taken` yet; its key."""
    button = next(b for b in page.locator(selector).all() if b.get_attribute("data-basket") not in taken)
    key = button.get_attribute("data-basket")
    button.click()
    _wait_count(page, "#basket-count", count)
    return key


def _write(page, button: str, text: str, keys: list[str]) -> None:
    page.fill("#draft-new textarea", text)
    page.click(button)
    _wait_keys(page, keys)


@pytest.mark.slow
def test_a_speech_draft_with_two_sections_own_text_and_four_quotes_exports_as_docx(app_url, tmp_path):
    with browser_page(app_url) as page:
        _ask(page, "金湖县政协提案立案多少件？")
        jinhu = _add_first(page, "#sources button.rag-add", 1)
        passage = _add_first(page, "#sources .rag-card button.rag-add:has-text('加入整段')", 2)
        _ask(page, "镇江市政协提案办理满意率和解决率是多少？")
        zhenjiang = _add_first(page, "#sources button.rag-add", 3)
        answer = _ask(page, "盱眙县政协提案立案多少件？")  # no such report: "可能相关" passages, which can go in too
        assert answer.startswith("报告未提及")
        related = _add_first(page, "#sources .rag-related button.rag-add", 4, taken=(jinhu, passage, zhenjiang))

        page.get_by_role("tab", name="素材篮").click()
        _wait_keys(page, [jinhu, passage, zhenjiang, related])
        own = "这一年，我们把提案办理作为履职的重要抓手。"
        _write(page, "#draft-add-heading", "一、提案工作", [jinhu, passage, zhenjiang, related, "heading:1"])
        _write(page, "#draft-add-text", own, [jinhu, passage, zhenjiang, related, "heading:1", "text:2"])
        _write(page, "#draft-add-heading", "二、其他", [jinhu, passage, zhenjiang, related, "heading:1", "text:2", "heading:3"])
        assert page.input_value("#draft-new textarea") == ""
        # 移到: each quote to the end of a section; then 上移 within one.
        order = [passage, zhenjiang, related, "heading:1", "text:2", jinhu, "heading:3"]
        for key, section, order in (
            (jinhu, "heading:1", order),
            (related, "heading:1", [passage, zhenjiang, "heading:1", "text:2", jinhu, related, "heading:3"]),
            (passage, "heading:3", [zhenjiang, "heading:1", "text:2", jinhu, related, "heading:3", passage]),
            (zhenjiang, "heading:3", ["heading:1", "text:2", jinhu, related, "heading:3", passage, zhenjiang]),
        ):
            page.locator(f'#basket li[data-key="{key}"] select.rag-move').select_option(section)
            _wait_keys(page, order)
        page.locator(f'#basket li[data-key="{zhenjiang}"] button[data-action=up]').click()
        draft = ["heading:1", "text:2", jinhu, related, "heading:3", zhenjiang, passage]
        _wait_keys(page, draft)
        assert "讲稿：4 段引文 · 2 个小标题 · 1 段自拟文字" in page.inner_text("#basket")

        page.click("#export-t2s input")  # Traditional quotes converted in the export, and marked
        page.wait_for_function(
            "() => document.querySelector('#basket button.rag-copy-all').dataset.copy.includes('（据繁体原文转换）')",
            timeout=ANSWER_TIMEOUT_MS,
        )
        page.click("#basket button.rag-copy-all")
        page.wait_for_function("() => document.querySelector('#basket button.rag-copy-all').innerText === '已复制'")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert f"一、提案工作\n\n{own}\n\n“{JINHU}”\n{JINHU_SOURCE}" in copied and "满意率保持100%" in copied

        with page.expect_download() as download:
            page.click("#export-docx")
        saved = tmp_path / "draft.docx"
        download.value.save_as(saved)
        _check_draft_docx(Document(str(saved)), own)

        # 清空 asks first, and can be undone.
        page.click("#basket-clear")
        page.click("#basket-clear-cancel")
        assert _draft_keys(page) == draft
        page.click("#basket-clear")
        page.click("#basket-clear-confirm")
        _wait_count(page, "#basket-status", 0)
        page.click("#basket-undo")
        _wait_keys(page, draft)
        assert "已撤销清空" in page.inner_text("#basket-status")


def _check_draft_docx(document, own: str) -> None:
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm), round(section.top_margin.mm)) == (210, 297, 37)
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    assert [p.text for p in paragraphs if p.style.name == "Heading 1"] == ["一、提案工作", "二、其他", "来源"]
    assert [p.text for p in paragraphs if p.style.name == "自拟正文"] == [own]
    quotes = [p.text for p in paragraphs if p.style.name == "引文"]
    assert len(quotes) == 4 and quotes[0] == JINHU and texts.index(own) < texts.index(JINHU) < texts.index("二、其他")
    assert texts[texts.index(JINHU) + 1].startswith(JINHU_SOURCE)
    converted = quotes[2]
    assert converted.endswith("（据繁体原文转换）") and "满意率保持100%" in converted and "解决率76.5%" in converted
    assert texts[texts.index(converted) + 1].startswith(ZHENJIANG_SOURCE)  # the report named as it is titled
    assert texts.index("二、其他") < texts.index(converted)
    assert len(texts[texts.index("来源") + 1 :]) >= 2 and not FILE_NAME.search("\n".join(texts))
    assert section.footer.paragraphs[0]._p.xpath("string(.//w:instrText)").strip() == "PAGE"
    assert document.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    ) == "仿宋"


FILES = REPO / "tests" / "files"


def _upload_confirmed(page, path: Path, **corrections: str) -> dict:
    """Drop `path`, wait for the identity read off it, apply `corrections` (field → text), confirm; the identity shown."""
    page.set_input_files("#upload input[type=file]", str(path))
    _status_says(page, "请核对")
    shown = _identity_shown(page)
    selectors = {"title": "#id-title"}
    for field, text in corrections.items():
        page.fill(f"{selectors[field]} input, {selectors[field]} textarea", text)
    page.click("#id-confirm")
    _status_says(page, "已加入")
    return shown


@pytest.mark.slow
def test_a_pdf_a_scan_and_a_word_97_file_uploaded_in_a_browser_are_answered_with_their_pages(app_runner, tmp_path):
    # A corpus without the reports uploaded here, so that every answer below comes from an upload.
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    for name in ("haian.md", "duji.html", "reports.toml"):
        (corpus / name).write_bytes((REPO / "tests" / "data" / name).read_bytes())
    app = app_runner(corpus, index)
    with browser_page(app.url) as page:
        shown = _upload_confirmed(page, FILES / "documents" / "zhenjiang.chromium.pdf", title="镇江市政协2024年履职工作综述")
        assert (shown["short_name"], shown["year"]) == ("镇江市政协", "2024"), shown
        answer = _ask(page, "镇江市政协提案办理的解决率是多少？")
        assert "76.5%" in answer and answer.startswith("直接回答")
        card = page.inner_text("#sources .rag-card")
        assert "第1页" in card and "镇江市政协2024年履职工作综述" in card

        shown = _upload_confirmed(page, FILES / "scans" / "jiangyan.pdf")  # image only: read by OCR
        assert (shown["short_name"], shown["year"]) == ("姜堰区政协", "2024"), shown
        answer = _ask(page, "姜堰区政协召开党组理论中心组学习会多少次？")
        assert "16次" in answer
        card = page.inner_text("#sources .rag-card")
        assert "OCR识别，请以原件为准" in card and "第1页" in card

        _upload_confirmed(page, FILES / "documents" / "jinhu_hongze.doc")
        answer = _ask(page, "金湖县政协提案立案多少件？")
        assert "159件" in answer and answer.startswith("直接回答")
    app.stop()

    # The identities confirmed above are in reports.toml: a second start serves them as confirmed.
    toml = (corpus / "reports.toml").read_text(encoding="utf-8")
    assert toml.startswith((REPO / "tests" / "data" / "reports.toml").read_text(encoding="utf-8"))
    assert 'title = "镇江市政协2024年履职工作综述"' in toml and 'file = "jiangyan.pdf"' in toml
    again = app_runner(corpus, index)
    with browser_page(again.url) as page:
        _ask(page, "镇江市政协提案办理的解决率是多少？")
        assert "镇江市政协2024年履职工作综述" in page.inner_text("#sources .rag-card")
