"""rag.workspace on tests/data: what the app's handlers do, without Gradio or a browser."""

import os
import time

import pytest
from docx import Document

from rag import workspace
from rag.assistant import Assistant
from rag.basket import HEADING, MAX_ITEMS, OWN_TEXT, Basket, BasketItem, answer_excerpts
from rag.draft import draft_text
from rag.config import Settings
from rag.generate import make_generator
from rag.render import answer_markdown, source_cards_html

JINHU = "金湖县政协提案立案多少件？"


@pytest.fixture(scope="module")
def jinhu(data_assistant):
    return data_assistant.ask(JINHU)


@pytest.fixture(scope="module")
def offered(jinhu):
    return workspace.offer({}, answer_excerpts(jinhu))


def test_offer_keeps_the_newest_quotes_by_key(data_assistant, jinhu):
    excerpts = answer_excerpts(jinhu)
    first = workspace.offer(None, excerpts)
    assert list(first) == [BasketItem.from_excerpt(e).key for e in excerpts]
    assert [item.text for item in first.values()] == [e.text for e in excerpts]
    sentences = data_assistant.topics().source.sentences("jiangyan.txt")
    again = workspace.offer(workspace.offer(first, sentences), excerpts[:1])
    assert list(again)[-1] == list(first)[0]  # offered again: now the newest
    crowded = {f"k{i}": first[list(first)[1]] for i in range(workspace.MAX_OFFERED)}
    kept = workspace.offer(crowded, excerpts[:1])
    assert len(kept) == workspace.MAX_OFFERED and list(kept)[-1] == list(first)[0] and "k0" not in kept


def test_an_extractive_answer_comes_in_one_update(data_assistant, jinhu):
    updates = list(workspace.chat_updates(data_assistant, JINHU, [], {}))
    assert len(updates) == 1  # no typing effect: the answer is complete when it comes
    (update,) = updates
    assert update.message == answer_markdown(jinhu) and update.panel == source_cards_html(jinhu)
    assert update.asked == [JINHU] and set(update.offered) == {BasketItem.from_excerpt(e).key for e in answer_excerpts(jinhu)}


def test_a_follow_up_reads_the_earlier_questions(data_assistant):
    (update,) = workspace.chat_updates(data_assistant, "那洪泽区呢？", [JINHU], {})
    assert "86" in update.message and update.asked == [JINHU, "那洪泽区呢？"]


def test_filters_from_the_dropdowns_narrow_the_search(data_assistant):
    (update,) = workspace.chat_updates(data_assistant, "全年立案提案多少件？", [], {}, committees=["洪泽区政协"], years=["2023"])
    assert "86" in update.message and "159" not in update.message


def test_a_figure_request_goes_to_the_figure_finder(data_assistant):
    request = "列出所有报告中关于提案的数字"
    (update,) = workspace.chat_updates(data_assistant, request, ["earlier"], {}, committees=["洪泽区政协", "金湖县政协"])
    assert update.message.startswith("关于“提案”") and "洪泽区政协" in update.message
    assert update.message.index("洪泽区政协") < update.message.index("金湖县政协")  # in the order selected
    assert "rag-ov-figures" in update.panel and "159件" in update.panel
    assert update.asked is None  # not a question a follow-up could refer to
    assert update.offered and all(item.short_name in ("洪泽区政协", "金湖县政协") for item in update.offered.values())


@pytest.mark.parametrize("question, shown", [("问" * 5000, "出错了："), ("列出所有报告中关于提案的数字", "出错了：")])
def test_a_failure_ends_the_reply_with_what_went_wrong(data_assistant, question, shown):
    committees = ["盱眙县政协"] if question.startswith("列出") else []
    (update,) = workspace.chat_updates(data_assistant, question, [], {}, committees=committees)
    assert update.message.startswith(shown) and update.panel is None and update.offered is None


def test_a_model_s_text_streams_then_the_checked_answer_replaces_it(chat_server, data_assistant):
    server = chat_server("金湖县政协提案立案169件[1]。")
    generated = Assistant(data_assistant.corpus_dir, data_assistant.index_dir, Settings(), data_assistant.retriever,
                          make_generator(f"openai:{server.url}|scripted"))
    updates = list(workspace.chat_updates(generated, JINHU, [], {}))
    written = [u.message for u in updates[:-1]]
    assert len(written) >= 3 and all(a in b for a, b in zip(written, written[1:]))  # growing as it is written
    assert all(u.panel is None for u in updates[:-1])
    assert "⚠️" in updates[-1].message and "169" in updates[-1].message and updates[-1].panel


def test_add_clicked_adds_only_what_was_offered(offered):
    key = next(iter(offered))
    basket, message = workspace.add_clicked(Basket(), offered, {"basket": key})
    assert [item.key for item in basket.items] == [key] and message == "已加入：金湖县政协"
    assert workspace.add_clicked(basket, offered, {"basket": key}) == (basket, "已在素材篮中")
    assert workspace.add_clicked(basket, offered, {"basket": "x.txt@0-5"})[1].startswith("这条引文已不在当前回答中")
    for payload in (None, "x", {"basket": 5}, {}):
        assert workspace.add_clicked(basket, offered, payload) == (basket, "")


def test_related_passages_of_an_abstention_can_go_into_the_basket(data_assistant):
    (update,) = workspace.chat_updates(data_assistant, "盱眙县政协立案提案多少件？", [], {})
    assert "可能相关" in update.message and 'data-basket="' in update.panel and update.offered
    key = next(iter(update.offered))
    assert f'data-basket="{key}"' in update.panel
    basket, message = workspace.add_clicked(Basket(), update.offered, {"basket": key})
    assert len(basket) == 1 and message.startswith("已加入")
    restored, _ = workspace.restore_basket(basket.to_json(), data_assistant.topics())
    assert restored == basket  # a whole passage from the index, as any other


def test_add_clicked_to_a_full_basket_says_so(offered):
    item = next(iter(offered.values()))
    full = Basket(tuple(BasketItem(**{**item.to_dict(), "headings": item.headings, "start": i, "end": i + 1})
                        for i in range(MAX_ITEMS)))
    basket, message = workspace.add_clicked(full, offered, {"basket": item.key})
    assert basket is full and str(MAX_ITEMS) in message


def test_change_clicked_applies_basket_actions(offered):
    first, second = list(offered.values())[:2]
    basket = Basket((first, second))
    assert [i.key for i in workspace.change_clicked(basket, {"action": "up", "key": second.key})[0].items] == [second.key, first.key]
    assert workspace.change_clicked(basket, {"action": "down", "key": second.key})[0] == basket  # already last
    noted, message = workspace.change_clicked(basket, {"action": "note", "key": first.key, "note": "开头用"})
    assert noted.find(first.key).note == "开头用" and message == "备注已保存"
    assert workspace.change_clicked(basket, {"action": "note", "key": first.key, "note": 7})[0].find(first.key).note == ""
    removed, message = workspace.change_clicked(basket, {"action": "remove", "key": first.key})
    assert removed.items == (second,) and message == "已删除"
    for payload in ({"action": "remove", "key": "nope"}, {"action": "explode", "key": first.key}, None, []):
        assert workspace.change_clicked(basket, payload) == (basket, "")


def test_the_writer_s_headings_and_paragraphs_are_typed_edited_and_placed(offered):
    first, second = list(offered.values())[:2]
    basket, message = workspace.write_clicked(Basket((first, second)), HEADING, "一、开头")
    assert message == "已加入小标题" and basket.entries[-1].text == "一、开头"
    assert workspace.write_clicked(basket, OWN_TEXT, "  ") == (basket, "请先写下这段文字")
    basket, message = workspace.write_clicked(basket, OWN_TEXT, "我写的一段")
    assert message == "已加入自拟段落"
    edited, message = workspace.change_clicked(basket, {"action": "edit", "key": "text:2", "text": "改过的"})
    assert edited.find("text:2").text == "改过的" and message == "已保存"
    assert workspace.change_clicked(basket, {"action": "edit", "key": "text:2", "text": ""})[1].startswith("文字为空")
    # Editing a quote's "text" does nothing: a quote's words come from the report only.
    assert workspace.change_clicked(basket, {"action": "edit", "key": first.key, "text": "伪造"})[0] == basket
    moved, _ = workspace.change_clicked(basket, {"action": "to", "key": first.key, "to": "heading:1"})
    assert [e.key for e in moved.sections()[1].entries] == ["text:2", first.key]
    for payload in ({"action": "to", "key": first.key, "to": 3}, {"action": "to", "key": first.key, "to": "heading:9"}):
        assert workspace.change_clicked(basket, payload)[0] == basket


def test_clearing_keeps_what_was_cleared_for_undo(data_assistant, offered):
    first, second = list(offered.values())[:2]
    third = BasketItem.from_excerpt(data_assistant.topics().source.sentences("jiangyan.txt")[0])
    basket = workspace.write_clicked(Basket((first, second)), HEADING, "一、开头")[0]
    emptied, cleared, message = workspace.clear_basket(basket)
    assert emptied == Basket() and cleared == basket.to_json() and "撤销清空" in message
    assert workspace.clear_basket(emptied) == (emptied, None, "素材篮已是空的")
    since = Basket((third, first))  # added after the clear
    restored, message = workspace.undo_clear(since, cleared)
    assert restored.entries == (first, second, basket.entries[2], third) and message == "已撤销清空"
    assert workspace.undo_clear(since, None) == (since, "")


def test_restore_basket_counts_what_it_dropped(data_assistant, offered):
    stored = Basket(tuple(offered.values())[:2]).to_json()
    stored[1]["text"] = stored[1]["text"].replace("1", "7", 1)
    basket, message = workspace.restore_basket(stored, data_assistant.topics())
    assert len(basket) == 1 and message.startswith("1 条引文与报告原文不符")
    assert workspace.restore_basket([], data_assistant.topics()) == (Basket(), "")


def test_exports_go_to_a_folder_named_by_the_content_and_options(tmp_path, offered):
    basket = workspace.write_clicked(Basket(tuple(offered.values())[:2]), OWN_TEXT, "我写的一段")[0]
    assert workspace.export_files(Basket(), tmp_path) is None
    exports = workspace.export_files(basket, tmp_path)
    assert [path.name for path in (exports.docx, exports.markdown, exports.text)] == ["讲稿素材.docx", "讲稿素材.md", "讲稿素材.txt"]
    assert exports.docx.parent == exports.text.parent and exports.docx.parent.parent == tmp_path
    assert [p.text for p in Document(str(exports.docx)).paragraphs].count(basket.items[0].text) == 1
    assert basket.items[0].text in exports.markdown.read_text(encoding="utf-8")
    assert exports.text.read_text(encoding="utf-8") == draft_text(basket)
    assert workspace.export_files(basket, tmp_path) == exports  # same content, same folder
    noted = workspace.export_files(basket.annotate(basket.items[0].key, "备注"), tmp_path)
    assert noted.docx.parent != exports.docx.parent and exports.docx.exists()
    assert workspace.export_files(basket, tmp_path, simplified=True).docx.parent != exports.docx.parent


def test_pruning_drops_exports_a_day_old_but_never_the_current_one(tmp_path):
    old, current, recent = (tmp_path / name for name in ("old", "current", "recent"))
    for folder in (old, current, recent):
        folder.mkdir()
    day_ago = time.time() - workspace.EXPORT_KEEP_S - 60
    for folder in (old, current):
        os.utime(folder, (day_ago, day_ago))
    workspace.prune_exports(tmp_path, keep=current)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "recent"]


def test_overview_modes(data_assistant):
    topics = data_assistant.topics()
    assert workspace.make_overview(topics, "提案", "专题概览", None, None).kind == "overview"
    assert workspace.make_overview(topics, "提案", "数字汇总", None, None).kind == "figures"
    compared = workspace.make_overview(topics, "提案", "两地对比", "镇江市政协", "金湖县政协")
    assert compared.kind == "compare" and [row.short_name for row in compared.rows] == ["镇江市政协", "金湖县政协"]
    assert workspace.OVERVIEW_MODES[0] == "专题概览"


def test_upload_names_the_reports_and_passages_it_added(data_workspace, data_retriever, tmp_path):
    corpus, index = data_workspace
    helper = Assistant(corpus, index, Settings(), data_retriever)
    report = tmp_path / "盱眙县政协2024年工作报告.txt"
    report.write_text("盱眙县政协2024年工作报告\n\n一、提案工作\n全年立案提案136件，办结率100%。\n\n二、自身建设\n举办委员学习培训班3期。\n",
                      encoding="utf-8")
    upload = workspace.add_upload(helper, report)
    assert upload.name == report.name and upload.passages >= 1
    assert [meta.file for meta in upload.reports] == [report.name]


def test_user_message_says_what_to_fix_or_that_it_is_ours():
    from rag.errors import BadQuestion

    assert workspace.user_message(BadQuestion("问题是空的")) == "问题是空的"
    assert workspace.user_message(KeyError("x")) == "内部错误（KeyError），详情见服务器日志"


def test_an_upload_is_indexed_under_the_identity_the_user_confirmed(data_workspace, data_retriever, tmp_path):
    """The guess is shown, corrected, written to reports.toml with the comments kept, and used by the next start."""
    from rag.ingest import read_metadata

    corpus, index = data_workspace
    toml_before = (corpus / "reports.toml").read_text(encoding="utf-8")
    helper = Assistant(corpus, index, Settings(), data_retriever)
    report = tmp_path / "xuyi_2023_test.txt"
    report.write_text("政协盱眙县委员会2023年工作报告\n\n一、提案工作\n全年立案提案136件，办结率100%。\n", encoding="utf-8")

    guess = workspace.read_upload(helper, report)
    assert (guess.short_name, guess.year) == ("盱眙县政协", 2023)
    assert not (corpus / report.name).exists(), "reading an upload wrote it into the corpus"
    confirmed = workspace.confirmed_identity(guess, guess.committee, guess.short_name, 2024, "盱眙县政协常委会工作报告", "工作报告")
    workspace.add_upload(helper, report, confirmed)

    entries = read_metadata(corpus)[report.name]
    assert [(e.short_name, e.year, e.title) for e in entries] == [("盱眙县政协", 2024, "盱眙县政协常委会工作报告")]
    assert (corpus / "reports.toml").read_text(encoding="utf-8").startswith(toml_before)
    reopened = Assistant.open(corpus, index, Settings(), embedder=data_retriever.embedder)
    assert {m.year for m in reopened.retriever.reports.values() if m.file == report.name} == {2024}
    answer = reopened.ask("盱眙县政协立案提案多少件？")
    assert not answer.abstained and "136件" in answer.text


@pytest.mark.parametrize("year, title, message", [("二〇二四", "题目", "不是年份"), (1900, "题目", "1949"), (2024, " ", "标题不能为空")])
def test_a_bad_correction_is_refused_with_what_to_fix(year, title, message):
    from rag.errors import RagError
    from rag.records import ReportMeta

    guess = ReportMeta(file="a.txt", committee="政协盱眙县委员会", short_name="盱眙县政协", title="题目", year=2023, kind="")
    with pytest.raises(RagError, match=message):
        workspace.confirmed_identity(guess, guess.committee, guess.short_name, year, title, "")


def test_an_upload_that_fails_to_index_leaves_corpus_and_reports_toml_as_they_were(data_workspace, data_retriever, tmp_path):
    corpus, index = data_workspace
    before = {p.name: p.read_bytes() for p in corpus.iterdir() if p.is_file()}
    helper = Assistant(corpus, index, Settings(), data_retriever)
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"\x00\x01binary" * 50)
    with pytest.raises(Exception):
        workspace.add_upload(helper, blob)
    assert {p.name: p.read_bytes() for p in corpus.iterdir() if p.is_file()} == before
    assert not any(p.name.startswith(".upload-") for p in index.iterdir())


@pytest.mark.parametrize("content, reason", [
    (b"", "文件是空的"),
    (b"\x00\x01binary" * 50, "不是文本文件（含二进制内容）"),
    (b"%PDF-1.4 broken", "不是有效的 PDF 文件"),
])
def test_an_upload_refused_says_why_in_chinese(data_assistant, tmp_path, content, reason):
    suffix = ".pdf" if content.startswith(b"%PDF") else ".txt"
    bad = tmp_path / f"报告{suffix}"
    bad.write_bytes(content)
    with pytest.raises(Exception) as refused:
        workspace.read_upload(data_assistant, bad)
    assert workspace.upload_message(refused.value) == f"{bad.name}：{reason}"
