"""rag.overview: every committee has its row, every cell is an exact slice, figures are the report's, plans stand apart;
on tests/data (fast) and on the shipped corpus against the labelled set (slow)."""

import html
import re
import sys
from pathlib import Path

import pytest

from rag import render
from rag.assistant import Assistant
from rag.config import Settings
from rag.errors import BadQuestion
from rag.excerpts import ExcerptSource
from rag.overview import Topics, theme_for
from rag.period import plan_label
from rag.readers import read_text
from rag.text import has_figure, normalize

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
DATA = REPO / "tests" / "data"
COMMITTEES = ["姜堰区政协", "金湖县政协", "洪泽区政协", "海安市政协", "杜集区政协", "镇江市政协"]


@pytest.fixture(scope="module")
def topics(retriever):
    return Topics(retriever)


@pytest.fixture(scope="module")
def proposals(topics):
    return topics.overview("提案")


def _rows(overview):
    return {row.short_name: row for row in overview.rows}


def _text(excerpts):
    return "\n".join(e.text for e in excerpts)


def _assert_exact(overview):
    """Every quoted sentence is report[start:end] of its own committee's report, and whole."""
    for row in overview.rows:
        report_ids = {meta.file for meta in row.reports}
        for excerpt in (*row.figures, *row.practices, *row.plans):
            source = read_text(CORPUS / excerpt.chunk.doc)
            assert source[excerpt.start : excerpt.end] == excerpt.text
            assert excerpt.chunk.short_name == row.short_name and excerpt.chunk.doc in report_ids
            assert excerpt.text[-1] in "。！？!?；;" or excerpt.end == excerpt.chunk.end  # a whole sentence
            assert source[excerpt.start - 1] in "\n。！？!?；;" or excerpt.start == 0


def test_proposal_overview_has_every_committee_with_its_figures(proposals):
    rows = _rows(proposals)
    assert [row.short_name for row in proposals.rows] == COMMITTEES
    assert proposals.theme.name == "提案" and proposals.kind == "overview"
    jinhu = _text(rows["金湖县政协"].figures)
    assert "提案立案159件" in jinhu and "办结率和满意率均为100%" in jinhu
    hongze = _text(rows["洪泽区政协"].figures)
    assert "提交提案91件" in hongze and "立案86件" in hongze
    zhenjiang = _text(rows["镇江市政协"].figures)
    assert "提案辦理滿意率保持100%" in zhenjiang and "解決率76.5%" in zhenjiang
    jiangyan = rows["姜堰区政协"]
    assert len(jiangyan.figures) + len(jiangyan.practices) >= 2
    assert "22位委员讲述提案背后的精彩故事" in _text(jiangyan.figures)
    assert "重点提案" in _text(jiangyan.practices)
    for row in proposals.rows:
        assert row.found, f"{row.short_name} has no proposal sentence"
        assert all("提案" in normalize(e.text) or "立案" in normalize(e.text) for e in (*row.figures, *row.practices))
        assert all(has_figure(e.text) for e in row.figures) and not any(has_figure(e.text) for e in row.practices)
    _assert_exact(proposals)


def test_overview_table_cites_every_cell(proposals):
    page = render.overview_html(proposals)
    assert page.count("<tr data-committee=") == len(COMMITTEES)
    for excerpt in proposals.excerpts():
        quoted = re.search(
            rf'data-start="{excerpt.start}" data-end="{excerpt.end}">(.*?)<a class="rag-cite" href="#rag-ov-src-(\d+)">\[\2\]</a>', page
        )
        assert quoted, excerpt.text
        shown = re.sub(r'<span class="rag-plan"[^>]*>[^<]*</span>', "", quoted.group(1))  # a plan's tag precedes it
        assert html.unescape(re.sub(r"<[^>]+>", "", shown)) == excerpt.text  # figures bold, words unchanged
        line = re.search(rf'<li id="rag-ov-src-{quoted.group(2)}">\[{quoted.group(2)}\] (.*?)</li>', page).group(1)
        assert html.unescape(line).startswith(f"{excerpt.chunk.committee}《{excerpt.chunk.title}》")
        assert line.endswith(f"第{excerpt.chunk.paragraph}段）")  # the line the basket exports (rag.cite)
    assert '<b class="rag-fig">76.5%</b>' in page and '<b class="rag-fig">159件</b>' in page
    # 镇江's one sentence on proposals holds figures: its other cell points there instead of "not found".
    assert "—（相关表述见“关键数字”）" in page and "报告未提及" not in page


def test_consultation_overview(topics):
    overview = topics.overview("协商议事")
    rows = _rows(overview)
    assert [row.short_name for row in overview.rows] == COMMITTEES and all(row.found for row in overview.rows)
    assert "协商议事活动1012场" in _text(rows["洪泽区政协"].figures)
    assert "開展協商議事274場" in _text(rows["镇江市政协"].figures)
    assert "组织各类协商活动120场次" in _text(rows["姜堰区政协"].figures)
    assert "总议题1万余条" in _text(rows["金湖县政协"].figures)
    assert "30余次" in _text(rows["海安市政协"].figures)
    # "中国人民政治协商会议" is the institution's name, not a consultation: not quoted for 协商.
    assert not any("政治協商會議" in e.text and "協商議事" not in e.text for e in overview.excerpts())
    _assert_exact(overview)


def test_social_opinion_figures(topics):
    overview = topics.figures("社情民意")
    rows = _rows(overview)
    jinhu = _text(rows["金湖县政协"].figures)
    assert "撰写社情民意111篇" in jinhu and "报送79篇" in jinhu and "全国政协29篇" in jinhu
    assert "收集整理68篇社情民意报送市政协" in _text(rows["洪泽区政协"].figures)
    # 镇江 writes about 社情民意 without a figure: its row stays, saying so.
    assert not rows["镇江市政协"].figures
    assert "报告未提及“社情民意”的数字" in render.overview_html(overview)
    _assert_exact(overview)


def test_member_duties_overview(topics):
    overview = topics.overview("委员履职")
    rows = _rows(overview)
    assert "270名区政协委员参加履职活动1200多人次" in _text(rows["姜堰区政协"].figures)
    assert "32名鎮江市政協委員榮獲優秀履職獎" in _text(rows["镇江市政协"].figures)
    assert "培训委员900余人次" in _text(rows["洪泽区政协"].figures)
    _assert_exact(overview)


def test_figure_finder_lists_every_proposal_sentence_with_a_number(topics):
    found = topics.figures("列出所有报告中关于提案的数字")
    assert found.theme.name == "提案" and found.kind == "figures"
    assert [row.short_name for row in found.rows] == COMMITTEES
    quoted = {e.text for e in found.excerpts()}
    assert all(has_figure(text) and "提案" in normalize(text) for text in quoted)
    # Independently of our sentence cutting: every sentence of a report file that says 提案 next
    # to a count of 件, a percentage or a number of people is in the list.
    expected = set()
    for path in sorted(CORPUS.glob("*.txt")):
        for sentence in re.findall(r"[^。！？；;\n]*提案[^。！？；;\n]*[。！？；;]", read_text(path)):
            if re.search(r"\d+(?:\.\d+)?(?:件|%|位)", sentence):
                expected.add(sentence.strip())
    assert len(expected) >= 6 and expected <= quoted
    rows = _rows(found)
    assert not rows["海安市政协"].figures  # "提交一件提案" is a rule, not a count
    assert [e.start for e in rows["洪泽区政协"].figures] == sorted(e.start for e in rows["洪泽区政协"].figures)
    _assert_exact(found)


def test_compare_two_committees_side_by_side(topics, proposals):
    compared = topics.compare("提案", "金湖", "镇江市政协")
    assert compared.kind == "compare" and [row.short_name for row in compared.rows] == ["金湖县政协", "镇江市政协"]
    assert compared.rows == tuple(row for name in ("金湖县政协", "镇江市政协") for row in proposals.rows if row.short_name == name)
    page = render.overview_html(compared)
    assert "对比 · 提案：金湖县政协 与 镇江市政协" in page and "159件" in page and "76.5%" in page
    with pytest.raises(BadQuestion, match="两个不同"):
        topics.compare("提案", "金湖县政协", "金湖")
    with pytest.raises(BadQuestion, match="盱眙"):
        topics.compare("提案", "金湖县政协", "盱眙县政协")


def test_themes_from_free_text():
    assert theme_for("提案办理情况").name == "提案" and "立案" in theme_for("提案").query
    assert theme_for("各地协商议事做法").name == "协商议事"
    assert theme_for("社情民意信息").name == "社情民意" and theme_for("履职").name == "委员履职"
    free = theme_for("列出所有报告中关于招商引资的数字")
    assert free.name == "招商引资" and free.terms[0] == "招商引资"
    for empty in ("", "  ", "列出所有报告中的数字"):
        with pytest.raises(BadQuestion, match="主题"):
            theme_for(empty)


def test_free_theme_overview(topics):
    overview = topics.overview("招商引资")
    rows = _rows(overview)
    assert "招商引资" in _text(rows["海安市政协"].practices + rows["海安市政协"].figures)
    assert all("招商" in normalize(e.text) or "引资" in normalize(e.text) for e in overview.excerpts())
    _assert_exact(overview)


def test_excerpt_source_gives_whole_exact_sentences(retriever):
    source = ExcerptSource(retriever.index.chunks)
    total = 0
    for report_id in source.report_ids():
        for excerpt in source.sentences(report_id):
            assert read_text(CORPUS / excerpt.chunk.doc)[excerpt.start : excerpt.end] == excerpt.text
            total += 1
    assert total > 300
    listed = ExcerptSource(list(retriever.index.chunks))  # a plain list of chunks works the same
    assert all(listed.sentences(rid) == source.sentences(rid) for rid in source.report_ids())
    for chunk in retriever.index.chunks:
        around = source.sentences_around(chunk)
        assert around and around[0].start <= chunk.start and chunk.end <= around[-1].end
        assert source.resolve(chunk.doc, chunk.start, chunk.end).text == chunk.text
    sentence = next(e for e in source.sentences("001_7afb2be384d67ebd.txt") if "159件" in e.text)
    assert source.resolve(sentence.chunk.doc, sentence.start, sentence.end) == sentence
    assert source.resolve(sentence.chunk.doc, sentence.start, sentence.end - 20) is None  # cuts "159件" short
    assert source.resolve("nowhere.txt", 0, 10) is None


def test_uploaded_report_gets_its_row(workspace, tmp_path, embedder):
    corpus, index = workspace
    assistant = Assistant.open(corpus, index, Settings(), embedder=embedder)
    before = assistant.topics()
    upload = tmp_path / "盱眙.txt"
    upload.write_text("盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n", encoding="utf-8")
    assistant.add_report(upload, upload.name)
    topics = assistant.topics()
    assert topics is not before and topics is assistant.topics()
    rows = _rows(topics.overview("提案"))
    assert "立案提案136件" in _text(rows["盱眙县政协"].figures) and "159件" in _text(rows["金湖县政协"].figures)


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("列出所有报告中关于提案的数字", True),
        ("请汇总各地社情民意的数据", True),
        ("列出所有報告中關於提案的數字", True),
        ("金湖县政协提案立案多少件？", False),
        ("各地政协提案数字是多少？", False),
    ],
)
def test_chat_sends_only_figure_requests_to_the_figure_finder(text, wanted):
    from rag.overview import is_figure_request

    assert is_figure_request(text) is wanted


# --- on tests/data: themes, plans apart, 未提及 (fast) -----------------------------------------


@pytest.fixture(scope="module")
def data_topics(data_retriever):
    return Topics(data_retriever)


def test_overview_quotes_only_sentences_on_the_theme(data_topics):
    consultation = data_topics.overview("协商议事")
    rows = _rows(consultation)
    assert "组织各类协商活动120场次" in _text(rows["姜堰区政协"].figures)
    # 镇江's satisfaction rate measures proposals: under 提案, not under 协商议事.
    assert not any("滿意率" in e.text for e in consultation.excerpts())
    assert "提案辦理滿意率保持100%" in _text(_rows(data_topics.overview("提案"))["镇江市政协"].figures)
    # 海安's 即:…;…; series: a later item alone ("至少参加一次…协商议事活动;") says nothing.
    assert not any(e.text.startswith("至少参加一次") for e in consultation.excerpts())
    for theme in ("提案", "委员履职", "社情民意"):
        _assert_exact_in(data_topics.overview(theme))


def test_plans_stand_apart_from_results(data_topics):
    duties = _rows(data_topics.overview("委员履职"))
    consultation = _rows(data_topics.overview("协商议事"))
    duji = consultation["杜集区政协"]
    assert not duji.figures and not duji.practices and duji.plans and duji.found and not duji.has_results
    assert all(plan_label(e.chunk) == "2025年计划" for row in (*duties.values(), *consultation.values()) for e in row.plans)
    assert not any(plan_label(e.chunk) for row in consultation.values() for e in (*row.figures, *row.practices))
    page = render.overview_html(data_topics.overview("协商议事"))
    plan_row = re.search(r'<tr class="rag-ov-plans" data-plans-of="杜集区政协">(.*?)</tr>', page).group(1)
    assert "工作计划（尚未实施）" in plan_row and '<span class="rag-plan"' in plan_row and "深入调研协商" in plan_row
    assert "报告中关于“协商议事”只有计划，没有已完成的工作（见下行）" in page
    assert page.count("<tr data-committee=") == 6  # one row per committee; plans on lines of their own


def test_committee_with_nothing_on_the_theme_says_the_report_does_not_mention_it(data_topics):
    opinion = data_topics.overview("社情民意")
    rows = _rows(opinion)
    # 杜集's plan names 社情民意信息 only as one channel among others.
    assert not rows["杜集区政协"].found and not rows["镇江市政协"].found
    page = render.overview_html(opinion)
    duji = re.search(r'<tr data-committee="杜集区政协">(.*?)</tr>', page).group(1)
    assert duji.count("报告未提及“社情民意”") == 2


def test_figure_summary_counts_planned_figures_apart(data_topics):
    assert "计划" not in render.figures_summary_markdown(data_topics.figures("提案"))
    # 杜集's "区委二十项重点改革举措" is a figure of its 2025 plan: counted apart, tagged in the table.
    found = data_topics.figures("改革举措")
    duji = _rows(found)["杜集区政协"]
    assert not duji.figures and "二十项重点改革举措" in _text(duji.plans)
    reply = render.figures_summary_markdown(found)
    assert "另有 1 句出自工作计划，是目标而不是已完成的数字" in reply
    page = render.overview_html(found)
    assert "另有 1 句出自工作计划（目标，不是已完成的数字）" in page and "报告未提及“改革举措”的数字（只有计划中的数字，见下行）" in page
    assert '<tr class="rag-ov-plans" data-plans-of="杜集区政协">' in page


def _assert_exact_in(overview):
    for row in overview.rows:
        for excerpt in (*row.figures, *row.practices, *row.plans):
            assert read_text(DATA / excerpt.chunk.doc)[excerpt.start : excerpt.end] == excerpt.text
            assert excerpt.chunk.short_name == row.short_name


# --- the labelled set (eval/overview_labels.jsonl) on the shipped corpus (slow) -------------------


def test_overview_meets_the_labelled_set(topics):
    """Precision and recall of on-theme sentences against the speechwriters' labels (bench/overview_quality.py)."""
    sys.path.insert(0, str(REPO / "bench"))
    from overview_quality import read_labels, score  # noqa: E402 - the scorer of bench/, not library code

    labels = read_labels()
    assert len({label["theme"] for label in labels}) >= 6 and len(labels) == 6 * len({label["theme"] for label in labels})
    numbers = score(topics, labels, CORPUS)["all"].numbers()
    assert numbers["precision"] >= 0.9 and numbers["recall"] >= 0.8, numbers
    assert numbers["plan_labels"] == 1.0  # every plan shown as a plan, no result shown as one
    right, cells = numbers["empty_cells"].split("/")
    assert right == cells  # a cell the labels leave empty shows nothing
