"""The speech-preparation workspace in a real browser: add quotes from answers and an overview to the
basket, reload, annotate and reorder, export .docx, and read the downloaded file back."""

from pathlib import Path

import pytest
from docx import Document

from rag.load import read_text
from tests.test_app import ANSWER_TIMEOUT_MS, _ask, browser_page, running_app

REPO = Path(__file__).resolve().parent.parent
JINHU = "县政协十一届二次会议提案立案159件,办结率和满意率均为100%。"
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
def test_basket_survives_reload_and_exports_docx_with_sources(tmp_path, built_index):
    with running_app(tmp_path, built_index) as url, browser_page(url) as page:
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
        assert len(sources) == 2 and "004_96ed0689c85e4c9d.txt" in sources[0] and "001_7afb2be384d67ebd.txt" in sources[1]
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
