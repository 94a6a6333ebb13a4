"""rag.verify (with rag.numbers, rag.claims, rag.support) on passages cut from the reports, and the
verifier benchmark of eval/verifier/ scored by bench/verify.py."""

import importlib.util
import json
from pathlib import Path

import pytest

from rag.numbers import chinese_value, quantities
from rag.records import Chunk
from rag.text import normalize
from rag.verify import check_answer

REPO = Path(__file__).resolve().parent.parent


def chunk(text, committee="政协淮安市金湖县委员会", short_name="金湖县政协", year=2023, headings=()):
    return Chunk("id", "r", "doc.txt", committee, short_name, "报告", year, "", headings, 1, 0, len(text), text)


JINHU = chunk("围绕重点工作建言献策。先后召开全体会议1次、常委会会议4次、主席会议21次;县政协十一届二次会议提案立案159件,"
              "办结率和满意率均为100%。向市政协报送集体提案5件。")
HONGZE = chunk("一线助治理。组织委员走访12个住宅小区,广泛征集物业管理方面的意见建议,共收到问题60个,帮助解决30个。"
               "联系委员乡贤募集善款1400余万元支持家乡发展。省市政协领导先后30多次来洪泽指导调研。",
               "政协淮安市洪泽区委员会", "洪泽区政协")
ZHENJIANG = chunk("首次開展提案辦理質效評價,提案辦理滿意率保持100%,解決率76.5%。與江蘇大學聯合成立社情民意研究院。",
                  "政协镇江市委员会", "镇江市政协", 2024)
HAIAN = chunk("个别委员的自身要求还不够严格,履职水平和能力还有待提高。今年没有未撰写提案和社情民意信息的委员。"
              "在西柏坡举行了委员履职能力提升培训班,《海安日报》刊登了黄晓兵等十多名学员撰写的学习心得体会。",
              "政协海安市委员会", "海安市政协")
PASSAGES = {1: JINHU, 2: HONGZE, 3: ZHENJIANG, 4: HAIAN}


def problems(sentence, passages=PASSAGES):
    (check,) = check_answer(sentence, passages)
    return check.supported, check.problems


@pytest.mark.parametrize(
    "sentence",
    [
        "金湖县政协提案立案159件[1]。",
        "金湖县政协提案立案１５９件[1]。",  # full-width digits
        "金湖县政协提案立案一百五十九件，办结率和满意率都达到了百分之百[1]。",  # Chinese numerals
        "县政协十一届二次会议共立案提案159件，提案办结率、满意率均为100%[1]。",  # reworded, ordinals kept
        "2023年，金湖县政协召开全体会议1次、常委会会议4次、主席会议21次[1]。",  # the report's year
        "政协淮安市金湖县委员会向淮安市政协报送了五件集体提案[1]。",  # full name; the parent committee as "市政协"
        "洪泽区政协联系委员乡贤募集善款一千四百余万元，用于支持家乡发展[2]。",
        "省市政协领导三十余次到洪泽指导调研[2]。",  # 30多次 = 三十余次
        "洪泽区政协组织委员走访了12个住宅小区，共收到问题60个，帮助解决了其中30个[2]。",
        "镇江市政协提案办理满意率保持在100%，解决率为百分之七十六点五[3]。",  # a Traditional passage
        "鎮江市政協與江蘇大學聯合成立了社情民意研究院[3]。",  # a Traditional answer
        "海安市政协委员工委认为，个别委员的自身要求还不够严格[4]。",  # a negation the passage shares
        "今年，海安没有未撰写提案和社情民意信息的委员[4]。",
        "金湖县政协提案立案159件[1]，洪泽区政协帮助解决问题30个[2]。",
        "海安所有委员都撰写了提案和社情民意信息[4]。",  # "没有未撰写": two negations, none
        "金湖县政协特邀委员向市政协报送集体提案5件[1]。",  # 特邀 is no name
        "Jinhu's committee registered 159 proposals [1].",  # English: citations and numbers only
    ],
)
def test_faithful_sentences_pass(sentence):
    supported, why = problems(sentence)
    assert supported, why


@pytest.mark.parametrize(
    "sentence, problem",
    [
        # numbers, in each notation
        ("金湖县政协提案立案169件[1]。", "数字“169件”不在[1]中"),
        ("金湖县政协提案立案一百六十九件[1]。", "数字“一百六十九件”不在[1]中"),
        ("金湖县政协提案立案１６９件[1]。", "数字“169件”不在[1]中"),
        ("办结率和满意率均为98%[1]。", "数字“98%”不在[1]中"),
        ("解决率为百分之六十七点五[3]。", "数字“百分之六十七点五”不在[3]中"),
        ("募集善款1500余万元[2]。", "数字“1500余万元”不在[2]中"),
        ("募集善款1400万元[2]。", "数字“1400万元”在[2]中是“1400余万元”"),  # the approximation dropped
        ("省市政协领导先后30次来洪泽指导调研[2]。", "数字“30次”在[2]中是“30多次”"),
        ("县政协十一届三次会议提案立案159件[1]。", "数字“三次”不在[1]中"),  # an ordinal
        ("洪泽区政协组织委员走访60个住宅小区[2]。", "数字“60个”在[2]中说的是“共收到问题60个”"),  # another count's number
        ("解决率76.5%[1]。", "数字“76.5%”不在[1]中"),  # the figure exists, but not in the passage cited
        # citations
        ("办结率100%[9]。", "引用了[9]，但只有4段来源"),
        ("金湖县政协提案立案159件。", "没有引用标注"),
        # committees and names
        ("洪泽区政协提案立案159件,办结率和满意率均为100%[1]。", "委员会“洪泽区政协”与[1]不符：[1]出自金湖县政协（洪泽区政协见[2]）"),
        ("政协泰州市姜堰区委员会向市政协报送集体提案5件[1]。", "委员会“姜堰区政协”与[1]不符"),
        ("镇江市政协与南京大学联合成立社情民意研究院[3]。", "名称“南京大学”未见于[3]"),
        ("海安市政协委员工委在延安举行了委员履职能力提升培训班[4]。", "地名“延安”未见于[4]"),
        ("《新华日报》刊登了黄晓兵等十多名学员撰写的学习心得体会[4]。", "书名《新华日报》未见于[4]"),
        ("金湖县政协开展了“提案质量提升年”活动[1]。", "提法“提案质量提升年”未见于[1]"),
        # content and polarity
        ("金湖县政协提案立案159件,并设立了全省首个委员之家[1]。", "“设立了全省首个委员之家”未见于来源"),
        ("金湖县政协提案立案159件,但办结率未达到100%[1]。", "否定说法“办结率未达到100%”：[1]没有这样说"),
        ("金湖县政协提案立案数比上年增加，为159件[1]。", "比较说法“金湖县政协提案立案数比上年增加”：[1]没有这样说"),
        ("海安市政协委员工委认为，委员的自身要求已经十分严格[4]。", "否定说法被去掉：[4]说的是“个别委员的自身要求还不够严格”"),
        ("今年海安仍有个别委员未撰写提案和社情民意信息[4]。", "与来源意思相反：[4]说的是“今年没有未撰写提案和社情民意信息的委员”"),
        # each part of a sentence stands on the passage cited right after it
        ("金湖县政协帮助解决问题30个[2]，洪泽区政协提案立案159件[1]。", "委员会“金湖县政协”与[2]不符"),
    ],
)
def test_unsupported_sentences_say_what_is_wrong(sentence, problem):
    supported, why = problems(sentence)
    assert not supported and any(problem in p for p in why), why


def test_a_partly_supported_sentence_names_only_the_unsupported_part():
    _, why = problems("金湖县政协提案立案159件，办结率和满意率均为100%，并设立了全省首个委员之家[1]。")
    assert why == ("“设立了全省首个委员之家”未见于来源",)


def test_each_sentence_is_checked_on_its_own():
    checks = check_answer("立案159件[1]。解决率77%[3]。募集善款1400余万元[2]。", PASSAGES)
    assert [c.supported for c in checks] == [True, False, True]
    assert [c.citations for c in checks] == [(1,), (3,), (2,)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("立案159件", [(159, "件", "")]),
        ("立案１５９件", [(159, "件", "")]),
        ("一百五十九件", [(159, "件", "")]),
        ("两千人", [(2000, "人", "")]),
        ("1.2万人次", [(12000, "人次", "")]),
        ("募集1400余万元", [(14_000_000, "元", ">")]),
        ("一千四百余万元", [(14_000_000, "元", ">")]),
        ("近90场", [(90, "场", "<")]),
        ("约30次", [(30, "次", "~")]),
        ("三十多次", [(30, "次", ">")]),
        ("百分之七十六点五", [(76.5, "%", "")]),
        ("满意率百分之百", [(100, "%", "")]),
        ("三家央企", [(3, "家", "")]),
        ("一批群众、一是加强、“四千四万”精神、《十四五规划》", []),  # phrasing, quoted and titled numbers
    ],
)
def test_numbers_are_read_as_values_in_every_notation(text, expected):
    assert [(q.value, q.unit, q.approx) for q in quantities(normalize(text))] == expected


def test_ordinals_are_numbers_that_name_an_item():
    found = quantities("县政协十一届二次会议,第29届竞赛,立案159件")
    assert [(q.value, q.ordinal) for q in found] == [(11, True), (2, True), (29, True), (159, False)]


@pytest.mark.parametrize("numeral, value", [("一百五十九", 159), ("两千", 2000), ("一千零一十二", 1012), ("十一", 11),
                                            ("七十六点五", 76.5), ("二〇二三", 2023), ("十四五", None), ("三四", None)])
def test_chinese_numerals(numeral, value):
    assert chinese_value(numeral) == value


# --- the benchmark of eval/verifier/ -----------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location("bench_verify", REPO / "bench" / "verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_passages_are_exact_slices_of_the_corpus():
    texts = {}
    for line in (REPO / "eval" / "verifier" / "sentences.jsonl").read_text(encoding="utf-8").splitlines():
        for passage in json.loads(line)["passages"].values():
            text = texts.setdefault(passage["doc"], (REPO / "corpus" / passage["doc"]).read_text(encoding="utf-8"))
            assert text[passage["start"] : passage["end"]] == passage["text"]


def test_benchmark_meets_its_targets():
    bench = _bench()
    items = bench.load()
    result = bench.score(items)
    assert result["n_fabricated"] + result["n_faithful"] >= 150
    assert result["recall"] >= 0.95 and result["faithful_flagged"] <= 0.05, bench.table(result, {})
    assert all(caught >= 0.90 for _, caught, _, _ in result["kinds"].values()), result["kinds"]
    # CPU time, not wall time: other test runs share these cores, and the check is single-threaded.
    _, p95 = bench.timing(items)["cpu"]
    assert p95 <= 20, f"checking takes {p95:.1f} ms of CPU per answer (p95)"
