import pytest

from rag.records import Chunk
from rag.verify import check_answer


def chunk(text):
    return Chunk("id", "r", "doc.txt", "委员会", "某政协", "报告", 2023, "", (), 1, 0, len(text), text)


PASSAGES = {
    1: chunk("县政协十一届二次会议提案立案159件,办结率和满意率均为100%。"),
    2: chunk("联系委员乡贤募集善款1400余万元支持家乡发展。"),
    3: chunk("提案辦理滿意率保持100%,解決率76.5%。"),
}


@pytest.mark.parametrize(
    "sentence",
    [
        "金湖县政协提案立案159件[1]。",
        "金湖县政协提案立案１５９件[1]。",  # full-width digits
        "募集善款1400万元[2]。",
        "募集善款14000000元[2]。",
        "解决率为76.5%[3]。",
        "满意率为百分之100[3]。",
        "立案159件，满意率100%[1][3]。",
    ],
)
def test_supported_sentences(sentence):
    (check,) = check_answer(sentence, PASSAGES)
    assert check.supported, check.problems


@pytest.mark.parametrize(
    "sentence, problem",
    [
        ("金湖县政协提案立案160件[1]。", "160"),
        ("解决率76.6%[3]。", "76.6%"),
        ("解决率76.5%[1]。", "76.5%"),  # the figure exists, but not in the passage cited
        ("办结率100%[9]。", "[9]"),
        ("金湖县政协提案立案159件。", "没有引用"),
    ],
)
def test_unsupported_sentences_say_why(sentence, problem):
    (check,) = check_answer(sentence, PASSAGES)
    assert not check.supported and any(problem in p for p in check.problems)


def test_each_sentence_is_checked_on_its_own():
    checks = check_answer("立案159件[1]。解决率77%[3]。募集善款1400余万元[2]。", PASSAGES)
    assert [c.supported for c in checks] == [True, False, True]
    assert [c.citations for c in checks] == [(1,), (3,), (2,)]
