"""What a question asks for (rag.question), whether a sentence holds it (rag.fit), and the
period a passage is about (rag.period). Cases written for each pattern of the issue."""

from dataclasses import replace

import pytest

from rag.fit import LOOSE, UNCLEAR, fits
from rag.period import period_of
from rag.question import read_question
from rag.records import Chunk


@pytest.mark.parametrize("question, kind", [
    ("金湖县政协提案立案多少件？", "number"),
    ("How many proposals were filed?", "number"),
    ("姜堰区委区政府主要领导领衔督办了哪几件提案？", "other"),  # which ones, not how many
    ("镇江市政协举办的是第几期培训班？", "ordinal"),
    ("写讲话稿要用，给我几个宣传工作的数字", "figures"),
    ("委员工委组织委员去了哪里开展学习？", "place"),
    ("哪个街道组织了议事月活动？", "place"),
    ("委员帮助对接了哪家企业？", "organisation"),
    ("政协讲坛邀请了谁作报告？", "person"),
    ("Who gave the lecture?", "person"),
    ("金湖政协编撰的文集叫什么？", "title"),
    ("杜集区政协如何推进作风建设？", "other"),
    ("委员每年要做的几件事是什么？", "other"),  # the things already counted: what they are
    ("政协提出的几条建议是什么？", "other"),
    ("金湖县政协开展了几次调研？", "number"),
    ("开展的调研有几次？", "number"),
    ("Which handbook did the Hongze CPPCC print for companies?", "title"),  # a title in 《》
    ("Which document did the members study at Xibaipo?", "title"),
    ("雷锋同志题词多少周年之际？", "number"),
])
def test_the_expected_answer_type_is_read_from_the_question_words(question, kind):
    assert read_question(question).kind == kind


@pytest.mark.parametrize("question, counted", [
    ("海安市政协委员工委和金湖县政协分别组织了多少次视察？", ("视察",)),  # not the 委员 of the body's name
    ("今年一共开展了多少场调研？", ("调研",)),
    ("提案立案多少件？", ("提案", "立案")),  # nothing after the number: the clause before says
])
def test_what_is_written_after_the_number_is_what_is_counted(question, counted):
    assert read_question(question).counted == counted


def test_a_committees_body_after_its_name_is_no_topic():
    from rag.topic import topic_of

    question = "姜堰区政协和海安市政协委员工委分别怎么发挥专家委员作用？"
    assert topic_of(question, read_question(question), ("姜堰区政协", "海安市政协")) == "发挥专家委员作用"


def test_a_figure_question_knows_what_it_counts():
    asked = read_question("海安市有多少名政协委员参加了协商议事活动？")
    assert (asked.counting_word, asked.counted) == ("名", ("委员",))
    assert read_question("姜堰区政协2025年有什么计划？").years == (2025,)
    assert read_question("杜集区政协明年打算做什么？").plan


@pytest.mark.parametrize("question, sentence, attached", [
    ("提案立案多少件？", "县政协十一届二次会议提案立案159件,办结率和满意率均为100%。", True),
    ("提案立案多少件？", "全年收到意见建议32件,全部办结。", False),  # counts 建议
    ("有多少名委员参加？", "目前,16名市一级党政负责人参与了协商议事活动。", False),  # counts 负责人
    ("有多少名委员参加？", "组织委员56名参加视察。", True),
    ("帮企业解决了多少件难题？", "协调解决企业消防验收、人才引进等难题44个。", True),  # 个 counts anything
    ("提案立案多少件？", "组织委员开展读书活动。", False),  # no figure at all
    # a figure before a 《title》 counts what the title names, whatever jieba tags its first word
    ("社情民意信息编了几期？", "出台实施办法,编报7期《洪泽社情民意》,收集整理68篇社情民意报送市政协。", True),
    ("文史资料出了几期？", "编印4期《姜堰文史》,征集史料30余篇。", True),
    ("社情民意信息编了几期？", "编印4期《姜堰文史》,全年开展调研。", False),  # the title names something else
])
def test_a_figure_answers_only_when_attached_to_the_thing_counted(question, sentence, attached):
    fit = fits(sentence, read_question(question))
    assert (fit >= LOOSE) is attached, fit


def test_a_figure_of_another_kind_is_below_any_answer():
    assert fits("累计走访企业30次。", read_question("走访了多少家企业？")) < UNCLEAR


@pytest.mark.parametrize("question, sentence, holds", [
    ("邀请了谁作专题报告？", "邀请周恩来生前秘书纪东作专题报告。", True),
    ("邀请了谁作专题报告？", "举办第四期委员履职能力提升培训班和党务干部专题培训。", False),
    ("哪个街道组织了议事月活动？", "黎城街道组织开展民生专题协商议事月活动。", True),
    ("哪个街道组织了议事月活动？", "组织委员参与民生专题协商议事月活动。", False),
    ("视察了哪家企业？", "组织委员走进江苏台华新材料有限公司视察。", True),
    ("视察了哪家企业？", "在县委的坚强领导下,组织委员调研委员企业。", False),
    ("编撰的文集叫什么？", "编撰出版《金湖政协文史》文集。", True),
    ("镇政协工作委员会主任由谁担任？", "明确由镇(街道)党(工)委副书记兼任主任。", True),  # a post, not a name
    ("委员去了哪个红色教育地点学习？", "组织委员赴中共一大旧址开展党性学习教育。", True),
    ("委员去了哪个红色教育地点学习？", "组织委员开展党性学习教育。", False),
    ("党组成员分别联系谁？", "制定党组成员联系党外常委、党员常委(委员)联系党外委员制度。", True),  # a group answers "谁"
    ("党组成员分别联系谁？", "研究出台协商工作规则等系列文件。", False),
    ("主席会议成员负责联系谁？", "落實主席會議成員分工聯系界別制度。", True),  # a sector (界别) of members is such a group
])
def test_entity_questions_need_a_sentence_naming_one(question, sentence, holds):
    assert (fits(sentence, read_question(question)) >= LOOSE) is holds


def _chunk(headings, year=2024, kind="工作报告"):
    return Chunk("id", "r", "r.txt", "委员会", "姜堰区政协", "报告", year, kind, headings, 1, 0, 2, "正文")


def test_a_passage_is_about_the_year_and_part_of_its_section():
    assert period_of(_chunk(("2024年工作回顾", "一、把牢履职方向"))) == replace(period_of(_chunk(())), plan=False)
    plan = period_of(_chunk(("2025年工作安排", "二、聚焦中心大局")))
    assert (plan.year, plan.plan, plan.label) == (2025, True, "2025年计划")
    whole_plan = period_of(_chunk(("一、强化思想引领",), year=2025, kind="工作谋划"))
    assert (whole_plan.year, whole_plan.plan) == (2025, True)



def test_years_are_when_not_what():
    """A year places the question in time (rag.period); as a term it would favour any sentence
    mentioning the year ("2025年是…收官之年") over the one holding the answer."""
    from rag.choose import question_terms

    for question in ("杜集区政协2025年依托什么平台？", "Which platforms will Duji build in 2025?"):
        terms = [group for group, *_ in question_terms(question, ("杜集区政协", "duji"), lambda term: 1.0)]
        assert ("平台",) in terms
        assert not any(t in group for group in terms for t in ("2025", "2025年"))


@pytest.mark.parametrize("question, head", [
    ("杜集区政协2025年打算建设哪两个平台？", ("平台",)),
    ("金湖县政协推出了哪些制度？", ("制度",)),
    ("海安市政协委员工委建了哪几个工作室？", ("工作室",)),
    ("Which two platforms does the Duji District CPPCC plan to build?", ("平台",)),
    ("Which local cultures does the CPPCC promote?", ("文化",)),
])
def test_a_which_question_names_the_kind_of_thing_it_wants(question, head):
    assert read_question(question).head == head


@pytest.mark.parametrize("question", ["哪家企业得到了帮助？", "委员们去了哪里？", "镇江市政协开展了什么活动？"])
def test_entity_and_open_questions_have_no_head(question):
    """Entity kinds are judged by rag.fit; "什么活动" names nothing more specific than the report does."""
    assert read_question(question).head == ()


def test_plans_to_is_when_not_what_in_english():
    """"plans to build" is a tense (rag.period weighs it): as a term its glossary words 计划/谋划
    would favour the framing sentence of a plan ("扎实谋划2025年工作"). A Chinese 谋划 that is the
    topic ("从几个方面谋划") stays a term."""
    from rag.choose import question_terms

    english = question_terms("Which platforms does Duji plan to build?", ("duji",), lambda term: 1.0)
    assert not any(t in group for group, *_ in english for t in ("计划", "谋划"))
    chinese = question_terms("杜集区政协从几个方面谋划工作？", ("杜集区政协",), lambda term: 1.0)
    assert any("谋划" in group for group, *_ in chinese)


def test_a_sentence_under_a_heading_on_the_topic_is_preferred():
    """Two sentences hold the same words of the question; the one whose section is about it wins."""
    from rag.choose import candidates, question_terms
    from rag.records import Hit

    text = "推进协商平台建设,做到常态化运行。"
    def hit(headings):
        return Hit(Chunk("id", "r", "r.txt", "委员会", "杜集区政协", "报告", 2025, "工作谋划", headings, 1, 0, len(text), text), 1.0)

    question = "杜集区政协怎样搭建两大平台？"
    terms = question_terms(question, ("杜集区政协",), lambda term: 1.0)
    elsewhere, under_topic = candidates((hit(("助推文化繁荣发展",)), hit(("精心搭建“两大平台”",))), terms, read_question(question))
    # The second passage ranks lower, yet its sentence scores higher.
    assert under_topic.score > elsewhere.score


@pytest.mark.parametrize("question, official", [
    ("委员最起码要做到什么？", {"基本", "至少"}),
    ("对委员有哪些起码的要求？", {"基本", "至少"}),
])
def test_everyday_minimum_is_read_as_the_reports_basic_requirement(question, official):
    """"最起码的要求" is what a report calls 基本要求 or says with 至少."""
    from rag.lexicon import official_wording

    assert any(official <= set(words) for _, words in official_wording(question))


def test_the_askers_own_word_matches_closer_than_the_reports_rewording_of_it():
    """The register lets 读书 be met by 学习 (a report's word for it); a sentence holding 读书
    itself still matches closer, so "学习实践活动" does not beat "读书学习工作" on 活动 alone."""
    from rag.choose import candidates, question_terms
    from rag.records import Hit

    def hit(text):
        return Hit(Chunk("id", "r", "r.txt", "委员会", "镇江市政协", "报告", 2024, "工作报告", (), 1, 0, len(text), text), 1.0)

    question = "委员读书活动叫什么？"
    terms = question_terms(question, (), lambda term: 1.0)
    own, reworded, neither = candidates((hit("深化委员读书工作。"), hit("深化委员学习工作。"), hit("深化委员工作。")), terms, read_question(question))
    assert own.coverage > reworded.coverage > neither.coverage


@pytest.mark.parametrize("question, sentence, went", [
    ("委员去了哪个红色教育地点学习？", "在西柏坡举行了委员履职能力提升培训班。", True),
    ("委员去了哪个红色教育地点学习？", "委员们表示要自觉学习和发扬西柏坡精神。", False),
    ("委员们到哪里考察？", "组织委员赴盐城市大丰区考察学习。", True),
    ("委员们到哪里考察？", "组织委员走进延安革命纪念馆。", True),
    ("委员们到哪里考察？", "在全市范围内开展考察,形成报告。", False),
    ("Where did the members go to study?", "组织委员赴中共一大旧址开展党性学习教育。", True),
])
def test_where_someone_went_is_answered_by_a_place_they_went_to(question, sentence, went):
    """"去了哪里" asks for a destination: a place after 赴/到/走进/在, not one merely named."""
    asked = read_question(question)
    assert asked.destination
    assert (fits(sentence, asked) == 1.0) is went


@pytest.mark.parametrize("question", [
    "海安市政协委员工委觉得自己哪里还不够？",
    "金湖县政协的工作哪些地方需要改进？",
    "委员履职差在哪？",
    "政协工作哪里做得不好？",
    "洪泽区政协认为问题出在哪？",
])
def test_where_a_committee_falls_short_asks_in_what_respect_not_for_a_place(question):
    assert read_question(question).kind == "other"


@pytest.mark.parametrize("question", ["委员工委组织委员去了哪里学习？", "议事会在哪里开的？", "哪些地方建了委员工作室？"])
def test_a_place_question_stays_one(question):
    assert read_question(question).kind == "place"


def test_a_quoted_shape_is_no_name_a_sentence_must_say():
    assert read_question("哪些政协搞了“政协+”式的做法？").phrases == ()
    assert read_question("有哪些“微建议”类的活动？").phrases == ()
    assert read_question("哪里开展了“委员请你来读书”活动？").phrases == ("委员请你来读书",)


def test_where_something_stands_is_no_destination():
    assert not read_question("委员之家建在哪里？").destination
    assert read_question("委员之家建在哪里？").kind == "place"


@pytest.mark.parametrize("question", ["今年有没有谁一份提案都没交过？", "有谁没有参加协商活动吗？", "是否有人没撰写社情民意信息？"])
def test_whether_anyone_did_is_no_question_for_a_name(question):
    assert read_question(question).kind != "person"


def test_an_amount_in_the_askers_phrasing_is_no_term():
    """"一份提案、一条信息": a sentence saying "传递一份温暖" is not closer for holding 一份."""
    from rag.choose import question_terms

    terms = {t for group, *_ in question_terms("委员有没有谁一份提案、一条信息都没交过？", (), lambda term: 1.0) for t in group}
    assert "提案" in terms and "信息" in terms
    assert not terms & {"一份", "一条"}


@pytest.mark.parametrize("question, official", [
    ("非党员委员参加了哪些活动？", {"党外", "民主党派", "无党派"}),
    ("不是党员的委员有什么安排？", {"党外", "无党派"}),
    ("委员们去看看了哪些项目？", {"视察", "观摩"}),
    ("汛期防洪有什么建议？", {"防汛"}),
])
def test_everyday_words_for_people_and_visits_are_read_in_the_reports_words(question, official):
    """"不是党员的委员" is what a report calls 党外委员; "去看看" is 视察 or 观摩; 防洪 is 防汛."""
    from rag.lexicon import official_wording

    assert any(official <= set(words) for _, words in official_wording(question))


@pytest.mark.parametrize("question, official", [
    ("给在外地混得好的老乡办过聚会吗？", {"联谊", "乡贤"}),
    ("委员干活的情况多久晒一次？", {"通报", "履职", "每季度"}),
    ("给搞党务的开过小灶没有？", {"党务干部", "专题培训"}),
    ("有没有给委员跑腿的地方？", {"服务中心"}),
    ("宣传稿上过什么排行榜？", {"稿件", "榜单"}),
    ("委员帮农村捐钱了吗？", {"善款"}),
])
def test_chat_register_for_gatherings_reports_training_and_giving_is_read_in_the_reports_words(question, official):
    """Each everyday phrase brings the words a report uses for the same thing (rag/data/register.tsv)."""
    from rag.lexicon import official_wording

    assert official <= {word for _, words in official_wording(question) for word in words}


@pytest.mark.parametrize("question, chinese", [
    ("What shortcomings did the committee admit in its year-end summary?", {"不足", "总结"}),
    ("Which party branches did the CPPCC set up?", {"党支部", "成立"}),
    ("What is the main thread of the committee's work?", {"主线"}),
    ("How did members celebrate the 75th anniversary of the founding?", {"庆祝", "周年", "成立"}),
    ("What did the committee do for the Yangtze River Delta integration?", {"长三角", "一体化"}),
])
def test_english_words_of_every_field_of_the_reports_find_their_chinese(question, chinese):
    """The glossary covers the reports' general vocabulary, not only their CPPCC terms."""
    from rag.lexicon import english_term_groups

    assert chinese <= {word for group in english_term_groups(question) for word in group}


def test_an_english_belief_is_a_chinese_xinnian():
    from rag.lexicon import english_term_groups

    assert any("信念" in group for group in english_term_groups("conviction"))


def test_words_that_build_the_question_are_no_terms():
    from rag.choose import question_terms

    terms = {group[0] for group, _, _ in question_terms("委员工委跟企业各自在这件事上还都把什么结合起来了", (), lambda t: 1.0)}
    assert {"委员", "工委", "企业", "结合"} <= terms
    assert not terms & {"跟", "各自", "还", "都", "把", "这件"}


def test_an_anniversary_answers_how_many_years_since_and_nothing_else():
    """"成立75周年" names an occasion, no count, unless the question asks 多少周年."""
    sentence = "举办庆祝人民政协成立75周年委员知识竞赛"
    assert fits(sentence, read_question("知识竞赛庆祝的是人民政协成立多少周年？")) == 1.0
    assert fits(sentence, read_question("知识竞赛有多少名委员参加？")) < UNCLEAR


@pytest.mark.parametrize("sentence, holds", [
    ("成立委员履职服务中心,完善联系委员制度", True),
    ("深化委员联合党委、专委会党支部组织体制和运行机制改革", True),
    ("区政协党组认真履行主体责任", False),  # the body every report names
    ("建立委员履职清单", False),  # a list, no body
])
def test_an_organisation_question_is_answered_by_a_body_set_up(sentence, holds):
    assert (fits(sentence, read_question("政协成立了什么机构？")) == 1.0) is holds


def test_a_body_set_up_is_no_answer_to_which_firm():
    assert fits("成立委员履职服务中心", read_question("常委会议视察了哪家企业？")) < 1.0


@pytest.mark.parametrize("question, sentence, attached", [
    ("一共赠送了多少册图书？", "设立5个文史书柜", False),  # 个 counts no books by the 册
    ("一共赠送了多少册图书？", "赠送图书300册", True),
    ("设立了多少个书柜？", "设立5个文史书柜", True),
])
def test_a_count_by_the_volume_is_answered_only_by_volumes(question, sentence, attached):
    assert (fits(sentence, read_question(question)) >= UNCLEAR) is attached


@pytest.mark.parametrize("question, sentence, fit", [
    ("座谈会是谁举行的？", "镇江市委、市政协举行学习贯彻重要讲话精神座谈会", 1.0),  # the body that held it
    ("Who hosted the symposium?", "鎮江市委、市政協舉行學習座談會", 1.0),
    ("知识竞赛是谁举办的？", "举办庆祝人民政协成立75周年委员知识竞赛", LOOSE),  # held by the report's own committee
    ("知识竞赛是谁举办的？", "完善委员履职评价体系", -0.6),
])
def test_who_held_an_event_is_answered_by_the_body_that_held_it(question, sentence, fit):
    assert read_question(question).held_by
    assert fits(sentence, read_question(question)) == fit


def test_the_body_after_a_committees_name_is_who_not_what():
    """"海安市政协委员工委": every sentence of its report is the 委员工委's; as terms, 委员 and 工委
    would favour the sentences that happen to name it."""
    from rag.choose import question_terms

    terms = {group[0] for group, _, _ in question_terms("海安市政协委员工委怎么安排委员参加活动？", ("海安市政协",), lambda t: 1.0)}
    assert "工委" not in terms and {"安排", "委员", "参加", "活动"} <= terms


@pytest.mark.parametrize("question, sentence, attached", [
    ("社情民意报送给了谁？", "收集整理68篇社情民意报送市政协", True),
    ("调研成果报给了谁？", "调研意见和建议案已报县委县政府供决策参考", True),
    ("社情民意报到了哪里？", "向省市政协报送79篇", True),
    ("Who were the research reports submitted to?", "形成高质量调研报告报送区委", True),
    ("调研成果报给了谁？", "清华大学研究院来金湖进行实地调研", False),  # names a body, which received nothing
])
def test_whom_something_was_sent_to_is_answered_by_the_body_it_went_to(question, sentence, attached):
    assert read_question(question).sent_to
    assert (fits(sentence, read_question(question)) == 1.0) is attached


def test_a_quoted_phrase_belongs_to_the_committee_named_before_it_in_its_clause():
    from rag.topic import owners

    question = "金湖县政协开的电视专栏、洪泽区政协搞的“议事月”，各起了什么作用？"
    assert owners(question, ("议事月",), ["金湖县政协", "洪泽区政协"]) == {"议事月": "洪泽区政协"}
    assert owners("金湖和洪泽都开展了“议事月”吗？", ("议事月",), ["金湖县政协", "洪泽区政协"]) == {}  # asked of both


def test_a_year_written_after_a_committee_is_that_committees_year():
    from rag.topic import owners

    question = "镇江市政协2024年和姜堰区政协2025年分别怎么开展协商？"
    assert owners(question, ("2024", "2025"), ["镇江市政协", "姜堰区政协"]) == {"2024": "镇江市政协", "2025": "姜堰区政协"}
    assert owners("镇江和姜堰2024年分别怎么开展协商？", ("2024",), ["镇江市政协", "姜堰区政协"]) == {}
