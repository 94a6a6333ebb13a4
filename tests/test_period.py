"""rag.period on the real chunks of tests/data: which passages report work done and which are plans."""

from dataclasses import replace
from pathlib import Path

import pytest

from rag.chunk import chunk_report
from rag.config import Settings
from rag.ingest import ingest_file, read_metadata
from rag.period import Period, period_of, plan_label

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def chunks() -> dict[str, list]:
    """Every chunk of tests/data, by committee, as the index holds them."""
    found: dict[str, list] = {}
    for name, metas in read_metadata(DATA).items():
        for report in ingest_file(DATA / name, metas):
            found.setdefault(report.meta.short_name, []).extend(chunk_report(report, Settings()))
    return found


def test_jiangyan_review_reports_2024_and_its_2025_part_is_a_plan(chunks):
    review = [c for c in chunks["姜堰区政协"] if c.headings[:1] == ("2024年工作回顾",)]
    plans = [c for c in chunks["姜堰区政协"] if c.headings[:1] == ("2025年工作安排",)]
    assert review and plans and len(review) + len(plans) == len(chunks["姜堰区政协"])
    assert all(period_of(c) == Period(2024, False) and plan_label(c) == "" for c in review)
    assert all(period_of(c) == Period(2025, True) and plan_label(c) == "2025年计划" for c in plans)
    assert any(c.text.startswith("锤炼品格,砥砺前行。完善委员读书学习") for c in plans)


def test_duji_report_is_a_2025_plan_throughout(chunks):
    assert chunks["杜集区政协"] and all(plan_label(c) == "2025年计划" for c in chunks["杜集区政协"])


@pytest.mark.parametrize("committee", ["金湖县政协", "洪泽区政协", "海安市政协", "镇江市政协"])
def test_summaries_of_a_year_s_work_hold_no_plan(chunks, committee):
    assert chunks[committee] and all(plan_label(c) == "" and not period_of(c).plan for c in chunks[committee])


def test_closing_paragraph_saying_what_the_committee_will_do_is_a_plan_of_no_known_year(chunks):
    """The last paragraphs of 镇江's and 海安's summaries (in corpus/, not cut into tests/data) look ahead."""
    zhenjiang = replace(
        chunks["镇江市政协"][-1],
        text="與時代發展“合轍”,與黨政工作“同頻”,與群眾需求“共振”。鎮江市政協將深入貫徹習近平總書記關于加強和改進人民政協工作的重要思想、"
        "對江蘇和鎮江工作重要講話精神,全面貫徹落實江蘇省委、鎮江市委全會部署要求,在新征程上持續推動政協工作高質量發展,"
        "為奮力譜寫“鎮江很有前途”新篇章貢獻政協智慧和力量。",
    )
    haian = replace(
        chunks["海安市政协"][-1],
        text="在新时代新征程上,政协委员工委会将以习近平新时代中国特色社会主义思想为指导,深入学习贯彻党的二十大精神,"
        "围绕党和政府中心工作任务,全面落实各项工作部署,为推动“五个海安”“五个强市”建设作出积极贡献。",
    )
    for closing in (zhenjiang, haian):
        assert period_of(closing) == Period(None, True) and plan_label(closing) == "计划"
    # 将 before a noun is 把: "we took the members' proposals and…" reports work done.
    done = replace(haian, text="政协十五届二次期间,我们将委员们提出的好的意见建议,从经济、文化、社会事业等方面提出高质量的意见建议32篇。")
    assert plan_label(done) == ""
