"""Committee names in questions: misspelt ones read as meant, committees without a report told
apart as the subject asked about or a partner. Cases written for each pattern."""

import pytest

from rag.committees import Committees
from rag.records import ReportMeta
from rag.text import normalize


def _meta(short_name: str, *aliases: str) -> ReportMeta:
    return ReportMeta(file=f"{short_name}.txt", committee=short_name, short_name=short_name, title="报告",
                      year=2023, kind="工作报告", aliases=aliases)


COMMITTEES = Committees({
    "jinhu": _meta("金湖县政协", "金湖"), "jiangyan": _meta("姜堰区政协", "姜堰"),
    "haian": _meta("海安市政协", "海安", "Hai'an"), "zhenjiang": _meta("镇江市政协", "镇江"),
})


def read(question):
    return COMMITTEES.read(normalize(question))


@pytest.mark.parametrize("question, meant, report", [
    ("金胡县政协提案立案多少件？", "金湖县", "jinhu"),  # 胡/湖: same sound
    ("海按市政协开展了几次云协商？", "海安市", "haian"),  # 按/安
    ("振江市政协新设了哪个界别？", "镇江市", "zhenjiang"),  # 振/镇
    ("姜埝区政协的工作法叫什么？", "姜堰区", "jiangyan"),  # 埝/堰 rhyme (ian)
])
def test_a_name_one_sound_alike_character_off_is_read_as_the_committee(question, meant, report):
    naming = read(question)
    assert naming.report_ids == (report,)
    assert naming.reading_note.endswith(f"按“{meant}”理解")
    assert naming.unknown_subjects == ()


@pytest.mark.parametrize("question", ["淮安市政协提案立案多少件？", "镇海区政协有几个专委会？"])
def test_another_place_is_not_a_misspelling(question):
    # 淮/海 do not rhyme; 镇海区 differs from 镇江市 in two characters.
    naming = read(question)
    assert naming.readings == ()
    assert naming.unknown_subjects and naming.report_ids == ()


@pytest.mark.parametrize("question, partner", [
    ("哪个政协与扬州市政协开展了联动协商？", "扬州市"),
    ("哪个区政协和泰州市政协联合召开了圆桌协商会？", "泰州市"),
    ("丹阳市政协的哪项做法获评优秀案例？是哪个市政协的综述里提到的？", "丹阳市"),
])
def test_a_committee_named_as_a_partner_is_no_reason_to_decline(question, partner):
    naming = read(question)
    assert partner in naming.partners
    assert naming.unknown_subjects == ()


@pytest.mark.parametrize("question, subject", [
    ("盱眙县政协提案立案多少件？", "盱眙县"),
    ("扬州市政协与哪些县区政协开展了联动协商？", "扬州市"),
])
def test_a_committee_without_a_report_asked_about_is_the_subject(question, subject):
    assert read(question).unknown_subjects == (subject,)


def test_the_city_a_corpus_committee_belongs_to_is_context_in_a_which_question():
    """泰州市 heads 政协泰州市姜堰区委员会: "泰州市政协和哪个区政协…" asks which of its districts did it."""
    jiangyan = ReportMeta(file="000.txt", committee="政协泰州市姜堰区委员会", short_name="姜堰区政协", title="报告",
                          year=2024, kind="工作报告", aliases=("姜堰",))
    committees = Committees({"jiangyan": jiangyan})
    naming = committees.read(normalize("泰州市政协和哪个区政协联合开展过调研？"))
    assert naming.partners == ("泰州市",) and naming.unknown_subjects == ()
    assert committees.read(normalize("泰州市政协提案立案多少件？")).unknown_subjects == ("泰州市",)  # no which-question
    assert committees.read(normalize("扬州市政协与哪些县区政协开展了联动协商？")).unknown_subjects == ("扬州市",)


def test_exact_names_and_aliases_still_come_first_in_order():
    assert read("金湖县和Hai'an分别如何开展协商？").report_ids == ("jinhu", "haian")


@pytest.mark.parametrize("question, report, written, meant", [
    ("jy政协2024年组织了多少场协商活动？", "jiangyan", "jy", "姜堰"),
    ("ZJ那边的社情民意研究院是和谁一起成立的？", "zhenjiang", "ZJ", "镇江"),
    ("想问下jh的委员履职清单是怎么回事", "jinhu", "jh", "金湖"),
])
def test_pinyin_initials_in_a_chinese_question_are_read_as_the_committee(question, report, written, meant):
    naming = read(question)
    assert naming.report_ids == (report,)
    assert naming.reading_note == f"“{written}”按“{meant}”理解"


@pytest.mark.parametrize("question", [
    "What did the Hai'an CPPCC do for members?",  # an English question: its words are words, not initials
    "zx给委员打分满分多少？",  # zx is 政协, no place's initials
    "jyh那边怎么样？",  # three letters that are no corpus place's initials
    "hajy政协",  # one Latin word, not two names
])
def test_latin_words_that_are_no_committees_initials_name_none(question):
    assert all(written not in ("jy", "ha", "zj", "jh") for written, _ in read(question).readings)


def test_initials_two_places_share_are_read_as_neither():
    committees = Committees({"a": _meta("金湖县政协", "金湖"), "b": _meta("嘉禾县政协", "嘉禾")})  # both "jh"
    assert committees.read(normalize("jh政协提案多少件？")).report_ids == ()
