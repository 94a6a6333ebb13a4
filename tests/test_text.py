"""rag.text and rag.lexicon on text written here; where older copies of a rule disagreed, the rule kept."""

import pytest

from rag.ingest import split_reports
from rag.lexicon import chinese_terms_for_english, places_before_committee
from rag.records import Chunk, ReportMeta
from rag.text import (
    ENUMERATOR,
    GENERIC_WORDS,
    figure_spans,
    has_figure,
    is_mostly_english,
    matching_text,
    normalize,
    numbers,
    says_nothing,
    sentence_spans,
    tokenize,
)
from rag.verify import check_answer


def sentences(text):
    return [text[a:b] for a, b in sentence_spans(text)]


def figures(text):
    return [text[a:b] for a, b in figure_spans(text)]


def chunk(text, headings=()):
    return Chunk("id", "r", "doc.txt", "政协某县委员会", "某县政协", "报告", 2023, "", headings, 1, 0, len(text), text)


def test_normalize_folds_traditional_script_and_full_width_forms():
    assert normalize("提案辦理滿意率") == "提案办理满意率"
    assert normalize("１５９件，ＣＰＰＣＣ") == "159件,CPPCC"
    assert normalize("半个\ud83d") == "半个\ufffd"  # a lone surrogate would make OpenCC raise


def test_tokenize_drops_stopwords_and_punctuation():
    tokens = tokenize(normalize("金湖县政协提案立案了多少件？"))
    assert "提案" in tokens and "立案" in tokens
    assert not {"了", "多少", "件", "？", "?"} & set(tokens)


def test_matching_text_puts_committee_year_and_headings_in_front():
    assert matching_text(chunk("全年立案159件。", ("提案工作",))) == "某县政协 2023年 提案工作:全年立案159件。"


def test_is_mostly_english():
    assert is_mostly_english("How many proposals did Jinhu file?")
    assert not is_mostly_english("金湖县政协 proposals 多少件")


def test_sentences_end_after_each_end_mark():
    assert sentences("立案159件。办结率100%！还有吗？有!真的?是;也是；完") == [
        "立案159件。", "办结率100%！", "还有吗？", "有!", "真的?", "是;", "也是；", "完",
    ]
    assert sentences("  首句。  次句。 ") == ["首句。", "次句。"]


def test_a_second_end_mark_belongs_to_no_sentence():
    assert sentences("真的吗？！好的。") == ["真的吗？", "好的。"]


def test_an_ellipsis_does_not_end_a_sentence():
    assert sentences("组织调研、座谈……形成报告3篇。") == ["组织调研、座谈……形成报告3篇。"]


def test_a_line_break_ends_a_sentence():
    # The old verifier skipped an unpunctuated line followed by another: its figures went unchecked.
    assert sentences("- 立案160件[1]\n- 办结率100%[1]") == ["- 立案160件[1]", "- 办结率100%[1]"]


PASSAGES = {1: chunk("提案立案159件,办结率和满意率均为100%。"), 2: chunk("募集善款1400萬元。")}


def test_the_verifier_checks_each_line_of_a_list():
    first, second = check_answer("- 立案160件[1]\n- 办结率100%[1]", PASSAGES)
    assert not first.supported and any("160" in p for p in first.problems)
    assert second.supported


def test_the_verifier_cuts_at_semicolons_like_the_answerer():
    # The old verifier read "…；…[1]。" as one sentence; quotes and checks now share one unit.
    first, second = check_answer("立案159件；满意率100%[1]。", PASSAGES)
    assert (first.text, first.supported, first.problems[0]) == ("立案159件；", False, "没有引用标注")
    assert second.supported


def test_the_verifier_reads_traditional_scales():
    (check,) = check_answer("募集善款14000000元[2]。", PASSAGES)
    assert check.supported, check.problems


def test_numbers_are_values_and_include_years():
    assert numbers("2024年立案１５９件，满意率百分之76.5，募集1400余万元，共1,234人") == [
        ("2024", {2024.0}),
        ("159", {159.0}),
        ("76.5%", {76.5}),
        ("1400余万", {1400.0, 14_000_000.0}),
        ("1,234", {1234.0}),
    ]
    assert [written for written, _ in numbers("2021,2022")] == ["2021", "2022"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("提案立案159件,办结率和满意率均为100%。", ["159件", "100%"]),
        ("提案辦理滿意率保持100%,解決率76.5%。", ["100%", "76.5%"]),
        ("募集善款1400余万元,百分之十五,百分之七十六点五,１５９件", ["1400余万元", "百分之十五", "百分之七十六点五", "１５９件"]),
        ("组织协商活动十余次,十多名学员撰写心得,三家央企", ["十余次", "十多名", "三家"]),
        ("实施“法盾护企”“四创一争”六大创新项目,搭建两大平台", ["六大", "两大"]),  # N major things
        ("2024年9月22日,第32届家乡奖,十一届二次会议,成立75周年", []),
        ("“1+15+N”协商议事平台,做到“两个维护”,落实中央八项规定,提交一件提案,解决一批问题", []),
    ],
)
def test_a_figure_is_a_number_that_counts(text, expected):
    assert figures(text) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "2024年,新中国和人民政协成立75周年,党的二十届三中全会胜利召开。",
        "健全“双联系”制度,构建“1+2+N”大党建格局。",
        "坚持党对政协工作的全面领导,坚决做到“两个维护”。",
        "推动解决一批群众关心的堵点难点问题。",
        "在县政协常委会上表彰第29届“政协与统战好新闻竞赛”优秀稿件。",
        "组织委员赴中共一大旧址开展党性学习教育。",  # 一大: the First Congress, a name
    ],
)
def test_years_ordinals_and_names_are_no_figures(sentence):
    # The answerer's old rule counted any digit or numeral here as a figure.
    assert not has_figure(sentence)
    assert has_figure(sentence.replace("。", ",提交提案159件。"))


def test_enumerated_items_end_at_any_sentence_end():
    text = "一是加强理论学习！二是完善制度机制。三是提升履职能力；"
    assert [m.group(1) for m in ENUMERATOR.finditer(text)] == ["一是加强理论学习", "二是完善制度机制", "三是提升履职能力"]


def test_a_short_line_trailing_off_is_prose_not_a_heading():
    meta = ReportMeta(file="x.txt", committee="甲县政协", short_name="甲县政协", title="工作报告", year=2024, kind="")
    (report,) = split_reports("x.txt", "一、加强学习\n委员们纷纷表示……\n", [meta])
    assert [(p.text, p.headings) for p in report.paragraphs] == [("委员们纷纷表示……", ("一、加强学习",))]


def test_a_dated_line_of_one_sentence_is_a_caption():
    # Counted with the sentence rule: an ellipsis inside it no longer makes it two sentences.
    meta = ReportMeta(file="x.txt", committee="甲县政协", short_name="甲县政协", title="工作报告", year=2024, kind="")
    source = "2024年3月5日,县政协召开常委会议……委员参加。\n县政协全年立案159件,办结率100%,满意率98%,较上年有所提高。\n"
    (report,) = split_reports("x.txt", source, [meta])
    assert [p.text for p in report.paragraphs] == ["县政协全年立案159件,办结率100%,满意率98%,较上年有所提高。"]


def test_says_nothing_for_short_sentences_and_run_in_headings():
    assert says_nothing("好。", ())
    assert says_nothing("党建赋能增动力。", ("一、加强党建", "党建赋能增动力"))
    assert not says_nothing("全年立案159件。", ("一、加强党建",))
    # a run-in heading "N是…" standing as a sentence of its own, without a heading line
    assert says_nothing("二是服务委员企业。", ())
    assert says_nothing("三是完成中心任务。", ())
    assert not says_nothing("二是开展专题协商3次。", ())  # a figure: it reports
    assert not says_nothing("一是围绕优化营商环境,组织委员深入企业调研。", ())  # a sentence that goes on


def test_generic_words_name_no_evidence():
    # The answerer's old list kept 讲话稿 and 数字 as terms: sentences were ranked on the asker's purpose.
    terms = {t for t in tokenize(normalize("写讲话稿要用，给我金湖县政协提案方面的具体数字")) if t not in GENERIC_WORDS}
    assert "提案" in terms and not {"讲话", "讲话稿", "政协", "具体", "数字"} & terms


def test_english_words_meet_report_vocabulary():
    assert "立案" in chinese_terms_for_english("How many proposals were filed?")
    assert chinese_terms_for_english("weather tomorrow") == []


def test_places_written_before_the_committee():
    assert places_before_committee("南京政协去年立案多少件") == ["南京"]
