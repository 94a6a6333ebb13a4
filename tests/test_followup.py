"""rag.followup with the committee names of tests/data: an elliptical follow-up carries the topic or the committee over."""

import pytest

from rag.followup import standalone_question

FIRST = "金湖县政协提案立案多少件？"


@pytest.fixture(scope="module")
def rewrite(data_retriever):
    def standalone(question: str, previous: list[str]) -> str:
        return standalone_question(
            question, previous, data_retriever.named_reports, data_retriever.names_of,
            lambda report_id: data_retriever.reports[report_id].short_name,
        )

    return standalone


def test_another_committee_takes_the_previous_topic(rewrite):
    assert rewrite("那洪泽区呢？", [FIRST]) == "洪泽区政协提案立案多少件？"
    assert rewrite("那镇江呢", [FIRST]) == "镇江市政协提案立案多少件？"


@pytest.mark.parametrize("question, meant", [
    ("洪泽区政协又是怎么做的？", "洪泽区政协"),
    ("镇江市政协又打算怎么做？", "镇江市政协"),
    ("海安也有吗？", "海安市政协"),
])
def test_asking_only_how_another_committee_does_it_takes_the_previous_topic(rewrite, question, meant):
    first = "金湖县政协怎样开展民主监督？"
    assert rewrite(question, [first]) == f"{meant}怎样开展民主监督？"


def test_a_follow_up_of_a_follow_up_keeps_the_first_topic(rewrite):
    assert rewrite("那镇江呢？", [FIRST, "那洪泽区呢？"]) == "镇江市政协提案立案多少件？"


def test_another_topic_keeps_the_previous_committee(rewrite):
    assert rewrite("那办结率呢？", [FIRST]) == "金湖县政协办结率"


@pytest.mark.parametrize(
    "question, previous",
    [
        ("那洪泽区呢？", []),  # nothing to follow
        ("镇江市政协新增设了哪个界别？", [FIRST]),  # a question of its own, not elliptical
        ("那洪泽区政协在招商引资和文史工作方面分别做了哪些事情呢？", [FIRST]),  # long enough to stand alone
        ("那洪泽区呢？", ["各地政协怎样加强自身建设？"]),  # the previous question names no committee to swap
    ],
)
def test_other_questions_are_searched_as_asked(rewrite, question, previous):
    assert rewrite(question, previous) == question


def test_a_body_only_the_first_committee_has_is_not_carried(data_retriever):
    """A word naming a body (…委) that only the first committee's report uses is left behind;
    a word the new committee's report also uses is carried."""
    retriever = data_retriever
    own_body = next(
        (w for rid in retriever.reports for w in ("委员工委", "工委", "经科委", "文史委")
         if retriever.reports_with(w) == {rid}),
        None,
    )
    assert own_body, "tests/data should hold a body named in one report only"
    owner = next(iter(retriever.reports_with(own_body)))
    other = next(rid for rid in retriever.reports if rid != owner and retriever.reports[rid].short_name != retriever.reports[owner].short_name)
    first = f"{retriever.reports[owner].short_name}{own_body}组织了多少次视察？"
    follow = f"那{retriever.reports[other].short_name}呢？"
    rewritten = standalone_question(
        follow, [first], retriever.named_reports, retriever.names_of, lambda rid: retriever.reports[rid].short_name,
        retriever.reports_with,
    )
    assert rewritten.startswith(retriever.reports[other].short_name)
    assert own_body not in rewritten and "视察" in rewritten


@pytest.mark.parametrize("first, question, meant", [
    ("在委员联系界别群众这件事上，海安市政协委员工委觉得哪里还不够？", "杜集区政协又打算怎么做？", "杜集区政协在委员联系界别群众这件事上打算怎么做？"),
    ("关于文史资料征集，金湖县政协做了哪些工作？", "洪泽区政协又是怎么做的？", "洪泽区政协关于文史资料征集是怎么做的？"),
    ("在招商引资方面，金湖县政协有什么成效？", "海安市政协又准备如何做？", "海安市政协在招商引资方面准备如何做？"),
])
def test_asking_how_another_committee_does_it_keeps_the_topic_not_what_was_asked_of_the_first(rewrite, first, question, meant):
    assert rewrite(question, [first]) == meant


def test_a_follow_up_naming_its_own_year_does_not_carry_the_earlier_year(rewrite):
    asked = rewrite("杜集区政协2025年又打算怎么做？", ["镇江市政协2024年在提案办理上做了什么？"])
    assert "2025年" in asked and "2024" not in asked and "提案办理" in asked


@pytest.mark.parametrize("first, question, meant", [
    ("在提案和社情民意这两件事上，金湖县政协做了什么？", "洪泽区政协是怎么把两者结合起来的？", "洪泽区政协是怎么把提案和社情民意结合起来的？"),
    ("关于读书和履职，姜堰区政协怎么说？", "杜集区政协打算怎么兼顾这两件事？", "杜集区政协打算怎么兼顾读书和履职？"),
])
def test_both_stands_for_what_the_previous_question_framed(rewrite, first, question, meant):
    assert rewrite(question, [first]) == meant


def test_both_without_a_frame_before_is_asked_as_it_is(rewrite):
    question = "洪泽区政协是怎么把两者结合起来的？"
    assert rewrite(question, [FIRST]) == question


def test_a_topic_put_first_is_carried_with_the_askers_own_verb(rewrite):
    """"X，金湖县政协是怎么定位的？" then "洪泽区政协又是怎么往下推的？": X asked of 洪泽, in its verb."""
    first = "学习宣传党的二十大精神，金湖县政协是怎么定位的？"
    assert rewrite("洪泽区政协又是怎么往下推的？", [first]) == "洪泽区政协学习宣传党的二十大精神是怎么往下推的？"


def test_a_long_committee_name_does_not_make_a_follow_up_stand_alone(rewrite):
    first = "学习宣传党的二十大精神，金湖县政协是怎么定位的？"
    assert "学习宣传党的二十大精神" in rewrite("海安市政协委员工委又是怎么往下推的？", [first])
