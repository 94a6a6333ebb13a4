"""rag.theme on sentences of the reports: what makes a sentence belong to a theme, one case per rule."""

import pytest

from rag.theme import free_terms, theme_for, theme_weight

TRAINING = (
    "加强政协“两支队伍”管理,开展“提案撰写”“反映社情民意”“有事好商量协商议事”等专题培训9场,"
    "利用“政协讲坛”、委员“微课堂”等开展学习培训20余场,培训委员900余人次。"
)
SATISFACTION = (
    "為做好協商“后半篇文章”,推動協商成果轉化落實,鎮江市政協健全完善提案“四位一體”督辦機制,"
    "首次開展提案辦理質效評價,提案辦理滿意率保持100%,解決率76.5%。"
)
BOOKCASES = "开展文史资料“四进”活动,在金湖县实验小学、金南镇议事室等设立5个文史书柜,在县图书馆设立文史书房,积极筹建县文史馆。"


def weight(text: str, theme: str, headings=(), before: str = "") -> float:
    return theme_weight(text, theme_for(theme), headings, before)


def test_a_theme_named_in_a_list_of_other_things_is_not_what_the_sentence_reports():
    # The training's topics are listed; the training itself is the thing counted.
    assert weight(TRAINING, "协商议事") == weight(TRAINING, "提案") == weight(TRAINING, "社情民意") == 0
    assert weight(TRAINING, "委员履职") > 0
    channels = "围绕区委二十项重点改革举措,综合运用委员视察、提案、社情民意信息等方式,强化政策宣传、舆论引导、民主监督,了解企业普遍反映强烈的问题。"
    assert all(weight(channels, theme) == 0 for theme in ("提案", "社情民意", "民主监督", "宣传"))
    # Two places closed by 等 are examples of where bookcases stand: 议事室 names a room, not a consultation.
    assert weight(BOOKCASES, "协商议事") == 0 and weight(BOOKCASES, "文史") > 0


def test_a_list_all_of_whose_items_are_the_theme_and_a_pair_are_on_it():
    forms = "持续强化专委会的专业能力建设,更加灵活地组织开展界别协商、对口协商、提案办理协商。"
    assert weight(forms, "协商议事") > 0 and weight(forms, "提案") == 0
    assert weight("充分发挥提案、社情民意重要渠道作用,及时反映群众的急难愁", "提案") > 0
    # What leads into a list is not an item of it.
    assert weight("第三民主监督小组通过实地调研、研究措施、推进落实等举措,深入推进六个环保突出问题整改落实工作。", "民主监督") > 0


def test_figures_that_measure_another_theme_keep_a_sentence_off_this_one():
    assert weight(SATISFACTION, "协商议事") == 0 and weight(SATISFACTION, "提案") > 0


def test_phrases_that_mean_something_else_do_not_count():
    assert weight("把学习宣传贯彻党的二十大精神作为贯穿全年的首要政治任务,举行专题学习报告会。", "宣传") == 0
    assert weight("积极围绕中心、服务大局,先后走访委员企业30多家,宣传惠企政策,分析市场行情。", "宣传") == 0
    assert weight("做好政协宣传工作,办好政协微信公众号,全方位展现政协履职成效与委员风采。", "委员履职") == 0
    assert free_terms("深入學習貫徹習近平總書記在慶祝中國人民政治協商會議成立75周年大會上的重要講話精神。", theme_for("协商议事")) == []


def test_headings_fragments_and_broken_lines_are_never_quoted():
    assert weight("三是坚持多形式学习培训,提升履职能力。", "委员履职") == 0
    assert weight("提交一件提案;", "提案") == 0
    assert weight("在基层治理领域,创新探索“政协协商+", "协商议事") == 0
    series = "严格落实委员“六个一”履职基本要求,即:开展一次专题调研;提交一件提案;报送一条社情民意信息;"
    assert weight("至少参加一次“有事好商量”协商议事活动;", "协商议事", before=series) == 0
    assert weight("严格落实委员“六个一”履职基本要求,即:开展一次专题调研;", "委员履职") > 0


def test_a_figure_on_the_theme_weighs_more_than_a_mention():
    counted = "聚焦产业美、生态美、环境美、人文美、常态美,开展“建设江海平原特色宜居宜业和美乡村”专题协商议事活动258次,提出意见建议1200多次。"
    mentioned = "全市党政领导下沉到工作组、区镇街道参与协商议事活动,积极运用协商议事平台,主动荐题、充分议题、合力解题。"
    assert weight(counted, "协商议事") > weight(mentioned, "协商议事") > 0


@pytest.mark.parametrize("text", ["依托5个专委会成立5个委员履职党支部,各专委会主任兼任履职党支部书记。", "在西柏坡举行了委员履职能力提升培训班。"])
def test_member_duties_are_about_members(text):
    assert weight(text, "委员履职") > 0
    assert weight(text.replace("委员", "干部"), "委员履职") == 0
