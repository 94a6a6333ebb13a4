"""Who wrote a report, read off its first lines (rag.identity, rag.names), and its entry in reports.toml."""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.identity import METADATA_FILE, guess_meta, register
from rag.ingest import ingest_file, read_metadata
from rag.names import committee_named

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
ENTRIES = [meta for metas in read_metadata(CORPUS).values() for meta in metas]
# What the text does not say: the prefecture of a county named without one (金湖县 and 洪泽区 are
# in 淮安市; the newspaper page names it only in its masthead, which is not in the file).
UNWRITTEN_PREFECTURE = {"金湖县政协": "淮安市", "洪泽区政协": "淮安市"}
# 002 names neither its committee ("市政协常委会") nor its year; reports.toml has them from elsewhere.
UNNAMED = "002_c520e02cae42d976.txt"


def report_text(meta) -> str:
    """The part of a shipped file that is this report: from its `starts_at` line to the next report's."""
    source = (CORPUS / meta.file).read_text(encoding="utf-8")
    starts = [m.starts_at for m in read_metadata(CORPUS)[meta.file]]
    begin = source.index(f"\n{meta.starts_at}\n") + 1 if meta.starts_at else 0
    later = [source.index(f"\n{s}\n") for s in starts if s and source.index(f"\n{s}\n") > begin]
    return source[begin : min(later, default=len(source))]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.file != UNNAMED], ids=lambda e: e.short_name)
def test_shipped_reports_are_guessed_as_reports_toml_has_them(entry):
    guess = guess_meta(entry.file, report_text(entry))
    prefecture = UNWRITTEN_PREFECTURE.get(entry.short_name, "")
    assert (guess.short_name, guess.year) == (entry.short_name, entry.year)
    assert guess.committee == entry.committee.replace(prefecture, "")
    assert set(guess.aliases) <= set(entry.aliases) and guess.aliases[:2] == entry.aliases[:2]
    assert guess.kind == entry.kind
    if entry.short_name != "杜集区政协":  # its title was made up for reports.toml; the file has none
        assert guess.title == entry.title
    assert guess.source == "委员会、年份、标题、类别由正文推断，未经人工核对"


def test_a_report_naming_no_committee_gets_none_rather_than_its_superior():
    # It names 南通市政协 (its superior, in a list and as "住海南通市政协委员") but calls itself "市政协".
    guess = guess_meta(UNNAMED, (CORPUS / UNNAMED).read_text(encoding="utf-8"))
    assert (guess.committee, guess.short_name, guess.year) == ("002_c520e02cae42d976", "002_c520e02cae42d976", None)
    assert "未能推断委员会、年份" in guess.source and "以文件名代替委员会" in guess.source


# --- every form a committee is written in: one case each ----------------------------------------

BODY = "一年来,区政协坚持团结和民主两大主题,召开区政协党组理论中心组学习(扩大)会16次,与市政协联合开展调研。"


@pytest.mark.parametrize(
    ("head", "committee", "short_name", "aliases"),
    [
        ("政协泰州市姜堰区委员会常务委员会工作报告", "政协泰州市姜堰区委员会", "姜堰区政协", ("姜堰", "Jiangyan")),
        ("政协盱眙县委员会2023年工作报告", "政协盱眙县委员会", "盱眙县政协", ("盱眙", "Xuyi")),
        ("盱眙县政协\n2023年工作报告", "政协盱眙县委员会", "盱眙县政协", ("盱眙", "Xuyi")),
        ("淮北市杜集区政协2024年工作总结", "政协淮北市杜集区委员会", "杜集区政协", ("杜集", "Duji")),
        ("中国人民政治协商会议南京市委员会常务委员会工作报告", "政协南京市委员会", "南京市政协", ("南京", "Nanjing")),
        ("海安市政协委员工作委员会年度工作总结", "政协海安市委员会", "海安市政协", ("海安", "Hai'an", "Haian")),
        ("南京市政协办公室2024年工作总结", "政协南京市委员会", "南京市政协", ("南京", "Nanjing")),
        ("政協鎮江市委員會常務委員會工作報告", "政协镇江市委员会", "镇江市政协", ("镇江", "鎮江", "Zhenjiang")),
        ("——鎮江市政協2024年履職工作綜述", "政协镇江市委员会", "镇江市政协", ("镇江", "鎮江", "Zhenjiang")),
        ("关于阿拉善盟政协2024年工作的报告", "政协阿拉善盟委员会", "阿拉善盟政协", ("阿拉善", "Alashan")),
    ],
    ids=["formal", "formal-county", "short", "short-with-prefecture", "full-formal", "body-committee-work",
         "body-office", "traditional-formal", "traditional-short", "after-a-preposition"],
)
def test_committee_form(head, committee, short_name, aliases):
    guess = guess_meta("report.txt", f"{head}\n\n{BODY}\n")
    assert (guess.committee, guess.short_name, guess.aliases) == (committee, short_name, aliases)


def test_a_verb_before_an_unnamed_committee_is_no_place():
    # The bug this module replaced: "召开区政协…" read as committee "召开区政协".
    assert committee_named("召开区政协党组理论中心组学习(扩大)会16次") is None
    assert committee_named("联合区政协开展调研") is None and committee_named("全区政协委员") is None


def test_committees_in_a_list_are_partners_not_the_author():
    assert committee_named("在“江苏政协”微信公众号、江苏省政协、南通市政协等媒体刊用40余篇") is None


def test_the_title_wins_over_a_committee_the_body_names_more_often():
    body = "\n".join(["2023年,淮安市政协视察盱眙县。淮安市政协主席出席。"] * 5)
    assert guess_meta("x.txt", f"政协盱眙县委员会2023年工作报告\n{body}").short_name == "盱眙县政协"


def test_without_a_title_the_body_names_the_committee_twice_at_least():
    once = "区政协召开会议。\n南京市鼓楼区政协组织委员视察。\n委员积极履职。"
    twice = once + "\n南京市鼓楼区政协开展民主监督。"
    assert guess_meta("x.txt", once).short_name == "x"
    assert guess_meta("x.txt", twice).short_name == "鼓楼区政协"


# --- the year covered, the title, the kind ----------------------------------------------------


def test_the_year_reviewed_not_the_year_planned():
    text = "政协某某县委员会常务委员会工作报告\n\n2024年工作回顾\n\n一年来…。\n\n2025年工作安排\n\n2025年是…。2025年…。2025年…。"
    assert guess_meta("x.txt", text).year == 2024


def test_a_plan_covers_the_year_it_plans():
    guess = guess_meta("x.txt", "为深入学习贯彻重要讲话精神,淮北市杜集区政协从五个方面入手,扎实谋划2025年工作。\n2024年…。")
    assert (guess.year, guess.kind) == (2025, "工作谋划")


def test_dated_photo_captions_count_less_than_the_text():
    text = ("金湖县政协\n踔厉奋发担使命\n\n2024年1月5日,金湖县政协主席会议视察企业。\n\n"
            "一年来,县政协围绕中心履职。\n\n全年提案立案159件,比2023年增加。")
    assert guess_meta("x.txt", text).year == 2023


def test_a_year_written_in_chinese_numerals():
    assert guess_meta("x.txt", "二〇二三年淮安市县区政协工作巡礼\n\n金湖县政协履职。").year == 2023


@pytest.mark.parametrize(
    ("title", "kind"),
    [("政协盱眙县委员会常务委员会工作报告", "工作报告"), ("盱眙县政协2024年履职工作综述", "履职综述"),
     ("盱眙县政协2025年工作要点", "工作谋划"), ("盱眙县政协委员工作委员会年度工作总结", "工作总结")],
)
def test_kind_from_the_title_words(title, kind):
    assert guess_meta("x.txt", f"{title}\n\n一年来,县政协围绕中心履职。").kind == kind


def test_the_committee_line_is_no_part_of_the_title():
    text = "洪泽区政协\n勇担新使命\n攀登新高峰\n\n■通讯员 晁如波\n\n2023年,洪泽区政协在区委领导下履职。"
    guess = guess_meta("x.txt", text)
    assert (guess.title, guess.kind) == ("勇担新使命 攀登新高峰", "履职综述")  # a byline: a news feature


def test_ingest_guesses_for_a_file_reports_toml_does_not_list(tmp_path):
    path = tmp_path / "xuyi.txt"
    path.write_text("政协盱眙县委员会2023年工作报告\n\n一年来,县政协提案立案136件,办复率100%。\n", encoding="utf-8")
    meta = ingest_file(path)[0].meta
    assert (meta.committee, meta.short_name, meta.year, meta.kind) == ("政协盱眙县委员会", "盱眙县政协", 2023, "工作报告")


# --- register: the entry in reports.toml --------------------------------------------------------


@pytest.fixture
def corpus(tmp_path) -> Path:
    shutil.copy(CORPUS / METADATA_FILE, tmp_path / METADATA_FILE)
    return tmp_path


def new_meta(**fields):
    meta = guess_meta("xuyi.txt", "政协盱眙县委员会2023年工作报告\n\n一年来,县政协履职。")
    return replace(meta, **fields)


def test_a_new_entry_is_appended_and_nothing_else_changes(corpus):
    before = (corpus / METADATA_FILE).read_bytes()
    register(corpus, new_meta())
    after = (corpus / METADATA_FILE).read_bytes()
    assert after.startswith(before) and after[len(before) :].startswith(b"\n[[report]]\nfile = \"xuyi.txt\"")
    assert read_metadata(corpus)["xuyi.txt"] == [new_meta()]


def test_an_entry_is_replaced_where_it_stands(corpus):
    before = (corpus / METADATA_FILE).read_text(encoding="utf-8")
    hongze = read_metadata(corpus)["001_7afb2be384d67ebd.txt"][1]
    register(corpus, replace(hongze, year=2022, title="勇担新使命"))
    after = (corpus / METADATA_FILE).read_text(encoding="utf-8")
    old_block = before[before.index('starts_at = "洪泽区政协"') : before.index("\n\n", before.index('starts_at = "洪泽区政协"'))]
    new_block = old_block.replace("year = 2023", "year = 2022").replace('title = "勇担新使命 攀登新高峰"', 'title = "勇担新使命"')
    assert after == before.replace(old_block, new_block)
    assert [m.year for m in read_metadata(corpus)["001_7afb2be384d67ebd.txt"]] == [2023, 2022]


def test_values_are_escaped(corpus):
    meta = new_meta(title='“政协”报告 "草案" C:\\政协\\2023\t第1稿\n续', source="引号\"、反斜杠\\、DEL\x7f、😀", aliases=("盱眙", 'Xu"yi'))
    register(corpus, meta)
    assert read_metadata(corpus)["xuyi.txt"] == [meta]


def test_comments_of_the_file_and_of_the_replaced_entry_are_kept(tmp_path):
    text = ("# 报告清单\r\n\r\n[[report]]  # 盱眙\r\n# 核对过的条目\r\nfile = \"xuyi.txt\"  # 原文件名 # 含井号\r\n"
            "committee = \"政协盱眙县委员会\"\r\nshort_name = \"盱眙县政协\"\r\ntitle = \"#1 报告\"\r\nyear = 2022\r\n"
            "kind = \"工作报告\"\r\n\r\n# 下一条\r\n[[report]]\r\nfile = \"b.txt\"\r\ncommittee = \"b\"\r\nshort_name = \"b\"\r\n"
            "title = \"b\"\r\nyear = 2020\r\nkind = \"\"\r\n")
    (tmp_path / METADATA_FILE).write_bytes(text.encode("utf-8"))
    register(tmp_path, new_meta())
    after = (tmp_path / METADATA_FILE).read_bytes().decode("utf-8")
    for kept in ("# 报告清单\r\n", "[[report]]  # 盱眙\r\n# 核对过的条目\r\n", 'file = "xuyi.txt"  # 原文件名 # 含井号\r\n',
                 "\r\n\r\n# 下一条\r\n[[report]]\r\nfile = \"b.txt\"", "year = 2023\r\n"):
        assert kept in after
    assert "\n" not in after.replace("\r\n", "") and "#1 报告" not in after


def test_a_missing_list_is_created_and_an_unknown_year_reads_back_as_none(tmp_path):
    register(tmp_path, new_meta(year=None))
    assert "year" not in (tmp_path / METADATA_FILE).read_text(encoding="utf-8")
    assert read_metadata(tmp_path)["xuyi.txt"][0].year is None


def test_a_broken_list_is_left_alone(corpus):
    (corpus / METADATA_FILE).write_text('[[report]]\nfile = "a.txt\n', encoding="utf-8")
    with pytest.raises(RagError, match="not a valid report list"):
        register(corpus, new_meta())
    assert (corpus / METADATA_FILE).read_text(encoding="utf-8") == '[[report]]\nfile = "a.txt\n'
    assert [p.name for p in corpus.iterdir()] == [METADATA_FILE]  # no temporary file left behind


def test_concurrent_registrations_all_land(corpus):
    metas = [new_meta(file=f"report{i}.txt") for i in range(12)]
    threads = [threading.Thread(target=register, args=(corpus, meta)) for meta in metas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = read_metadata(corpus)
    assert all(listed[meta.file] == [meta] for meta in metas) and len(listed) == 5 + 12
    assert not [p for p in corpus.iterdir() if re.match(r"\.reports\.toml\..*\.tmp$", p.name)]
