"""A question -> what a sentence must hold to answer it: the expected answer type, for a figure
the thing counted and its counting word, the years asked about, and whether it asks about plans.

The type is read from the question's own words, which are few and stable in Chinese ("多少",
"哪里", "哪家企业", "是谁", "叫什么"), and their English equivalents:
- number: 多少, 几+counting word, 比例/率, how many/much, what percentage
- place: 哪里/哪儿/什么地方/哪个地方/哪几个地方/去了哪/where; "去了哪里" asks where someone went;
  "哪里还不够", "哪些地方需要改进" ask in what respect, and "哪个县政协" which committee: no place
- organisation: 哪家/哪个单位/部门/企业/机构/学校…, which company/department/organisation; unless
  it names a kind of firm (企业, 学校), any body set up answers ("成立了什么机构")
- person: 是谁/谁/哪位/哪些人, who; "谁举办的"/"who held" is answered by the body that held it,
  and "报给了谁"/"submitted to whom" (as "报到哪里") by the body it went to
- title: 叫什么/名称/书名/题目/什么文件/什么活动/什么工作法/what is … called/which document, book
- date: 什么时候/何时/哪天/几月/哪一年/when
- figures: "给我几个…的数字", "具体数据": sentences holding figures on the topic
- ordinal: 第几期/第几届: a sentence with 第N
Otherwise "other": practices, reasons, descriptions, judged by content words alone. An "other"
question that names the kind of thing it wants ("打造哪两个平台", "哪些文化", "which platforms
does…") has a head: the answer names that kind of thing (平台, 文化).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.lexicon import english_term_groups
from rag.text import YEAR, normalize, segmenter

# "哪几件", "那几个头头" ask which, not how many; "第几期" asks an ordinal; "要做的几件事是什么"
# names things already counted ("the few things that…"): it asks what they are.
_NUMBER = re.compile(
    r"多少|(?<![哪那这第的])几(?:个|件|次|项|篇|名|位|条|批|场|家|人|期|所|户|年|天|万|亿|成|倍|起|册|本|套)|比例|比率|百分之几|[率额量](?:是|为|有|达到)?多|"
    r"how many|how much|what percentage|what share|number of",
    re.I,
)
# "给我几个…的数字", "具体数字": any figures on the topic, not one count.
_FIGURES = re.compile(r"数字|数据|figures|statistics|numbers", re.I)
_ORDINAL = re.compile(r"第几|哪一届|哪一期|which (?:session|edition|round)", re.I)
_PLACE = re.compile(
    r"哪里|哪儿|什么地方|哪(?:个|些|几个|两个|三个)?[\u4e00-\u9fff]{0,4}?(?:地方|地点)|去了哪|在哪|到哪|赴哪|哪座城市|"
    r"哪(?:个|些|一个)(?P<unit>城市|街道|镇|乡|村|社区|园区|县|区|市|省)|where",
    re.I,
)
_WENT_WHERE = re.compile(
    r"(?:去|到|赴|前往|走进|来到|奔赴)了?(?:[\u4e00-\u9fff]{0,2}的)?(?:哪|什么地方)|where\b.*\b(?:go|went|visit|travel)", re.I
)
_DONE_TO = re.compile(r"([\u4e00-\u9fff]{2})了?(?:哪些人|谁)")
_ORGANISATION = re.compile(
    r"哪(?:家|个|些|所)(?:企业|公司|单位|部门|机构|学校|医院|银行|协会|商会|组织|平台)?(?:企业|公司|单位|部门|机构|学校|医院|银行|协会|商会|组织)|"
    r"哪家|什么(?:单位|部门|企业|机构|组织)|which (?:company|enterprise|firm|department|organi[sz]ation|body|unit)",
    re.I,
)
_FIRM = re.compile(r"企业|公司|学校|医院|银行|商会|协会|高校|大学|company|enterprise|firm|school|hospital|bank|university", re.I)
# "谁举办的", "who held the symposium": events are held by bodies (市委、市政协举行…), and a
# report's sentence without a subject ("举办…知识竞赛") was held by its own committee.
_WHO_HELD = re.compile(
    r"谁(?:来)?(?:举办|主办|举行|召开|组织|牵头|发起|承办)|(?:举办|主办|举行|召开|组织|牵头|发起|承办)[^，,。？?]{0,16}?的?(?:是|为)?谁|"
    r"\bwho (?:held|hosted|organi[sz]ed|ran|launched|convened|sponsored|co-hosted)\b",
    re.I,
)
# "报给了谁", "送到哪里", "submitted to whom": whom a report, proposal or opinion went to.
_SENT_TO = re.compile(
    r"(?:报|送|交|递|提交|报送|上报|呈报|转报)(?:给|到|至)?了?(?:谁|哪里|哪儿|哪个部门|哪些部门|哪个单位|什么地方|什么部门)|"
    r"\b(?:sent|submitted|reported|forwarded|passed) to (?:whom|which|what)\b|\bto whom\b|"
    r"\b(?:who|where|which \w+) (?:were|was|did|do)\b.*\b(?:sent|submitted|reported|forwarded|send|submit|report|forward) to\b",
    re.I,
)
_PERSON = re.compile(r"是谁|谁|哪位|哪些人|哪几位|\bwho\b|\bwhom\b", re.I)
# "哪个县政协…", "which committee": the committee is the answer, and every sentence of a report
# is its committee's: the question asks what the rest of it says, and no place.
WHICH_COMMITTEE = re.compile(r"哪(?:个|些|家|一个|几个|两个)?(?:[省市县区]|地方的?)?(?:政协|委员会)|which (?:local )?(?:committee|cppcc)", re.I)
# "哪里还不够", "哪些地方需要改进", "差在哪": in what respect a committee falls short, not a place.
_IN_WHAT_RESPECT = re.compile(
    r"(?:哪里|哪儿|哪些地方|什么地方|哪方面)(?:还|仍|也|都|最)?(?:不|没|需要|需|有待|欠|做得|存在|薄弱|要改|要加强|可以改进|值得改进)|"
    r"(?:差|弱|短板|问题|不足|毛病)(?:出)?在哪"
)
# "有没有谁没交过提案", "是否有人…": whether anyone did, not who; as is "谁都…" (everyone).
_ANYONE = re.compile(r"有没有(?:谁|人)|有谁[^？?]*吗|是否有人|没有谁|谁都|谁也")
_TITLE = re.compile(
    r"叫什么|名字|名称|书名|题目|标题|什么(?:书|文集|文件|节目|品牌|栏目|奖|称号|工作法)|"
    r"what (?:is|was|were|are) (?:the )?(?:name|title)|called|titled|named|"
    r"(?:which|what) (?:\w+ )?(?:document|book|handbook|manual|resolution|regulations?|publication|collection|column|programme|program)s?\b",
    re.I,
)
_DATE = re.compile(r"什么时候|何时|哪天|哪一天|几月|哪个月|哪一年|哪年|\bwhen\b|what date", re.I)
_PLAN = re.compile(r"计划|打算|安排|将要|准备|谋划|部署|明年|今后|下一步|要(?:做|搞|开展|创新|推进)|\bplan|\bwill\b|next year", re.I)
_COUNTING_WORD = "场次|人次|万元|亿元|周年|个|册|本|套|件|次|名|位|项|家|篇|条|批|场|人|期|所|户|座|元|天|年"
_COUNTED_AFTER = re.compile(rf"(?:多少|几)({_COUNTING_WORD})?([\u4e00-\u9fff]{{1,10}})?")
# Counting words that stand for one another: 件 and 项 both count proposals, 名/位/人 people.
# 个 counts anything (问题60个 answers "几件事").
_SAME_COUNT = ({"件", "项", "条", "份", "篇", "起"}, {"名", "位", "人", "人次"}, {"次", "场", "场次", "期", "轮"}, {"家", "所", "座", "户"}, {"册", "本", "卷"})
# What 个 never counts: books by the 册, money, people's attendances, spans of time.
_MEASURED = frozenset("册 本 套 卷 元 万元 亿元 人次 周年 年 天".split())
_NOT_COUNTED = frozenset("政协 委员会 工作 情况 一共 总共 累计 全年 今年 去年 分别 具体".split())
# Verbs say what was done, not what was counted ("召开了多少次会议": 会议 is counted).
_ACTIONS = frozenset(
    """召开 开展 组织 撰写 举办 参加 参与 完成 提交 收到 解决 变成 帮助 形成 推动 推出 开通 印发 出台 建立 设立
    走访 调研 视察 接待 培训 邀请 征集 报送 采用 转报 刊登 讲述 实现 达到 发挥 提出 开设 累计 有 是 帮 办 搞 做""".split()
)


@dataclass(frozen=True, slots=True)
class Asked:
    kind: str  # figures | number | ordinal | place | organisation | person | title | date | other
    counting_word: str = ""  # 件 in "多少件提案"
    counted: tuple[str, ...] = ()  # what the number must count: ("提案",)
    years: tuple[int, ...] = ()
    plan: bool = False  # asks what a committee will do
    phrases: tuple[str, ...] = ()  # “quoted” in the question, normalised
    place_unit: str = ""  # 街道 in "哪个街道": the kind of place named in the answer
    head: tuple[str, ...] = ()  # 平台 in "哪两个平台": alternatives, one of which the answer names
    destination: bool = False  # "去了哪里": a place someone went to, not one merely named
    done_to: str = ""  # 联系 in "联系谁": the verb a person question asks the object of
    days: tuple[str, ...] = ()  # "8月18日": a day the question names, which the evidence must name too
    any_body: bool = False  # "成立了什么机构": any body answers, not only a named firm ("哪家企业")
    held_by: bool = False  # "谁举办的", "who held": the body that held an event answers, not only a name
    sent_to: bool = False  # "报给了谁", "报送到哪里": the body a report or proposal went to answers


# "哪两个平台", "哪些方面", "哪几项制度": the noun after 哪 + measure is the kind of thing asked for.
_WHICH = re.compile(r"哪(?![里儿])(?:一|几|些|[两二三四五六七八九十]+)?[个项家条种类所座方]?")
# English puts the head noun last before the verb: "which two local platforms does …".
_WHICH_EN = re.compile(
    r"\b(?:which|what)\s+((?:[a-z]+\s+){0,3}?[a-z]+)\s+(?:does|did|do|is|are|was|were|has|have|had|will|would|can|could)\b",
    re.I,
)
# A quoted name is what a sentence must say, except a quoted shape: "“政协+”式的做法", "“X”类活动"
# ask for things of that form ("政协协商+法庭调解"), which hold the quoted text only in part.
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,30})[”\"」』](?![式类型样])")
_DAY = re.compile(r"(?<!\d)\d{1,2}月\d{1,2}[日号]")


def read_question(question: str) -> Asked:
    """What `question` (as asked, any script) expects an answer sentence to hold."""
    text = normalize(question)
    kind = _kind(text)
    counting_word, counted = _counted(text) if kind == "number" else ("", ())
    years = tuple(sorted({int(y) for y in YEAR.findall(text)}))
    phrases = tuple(normalize(p) for p in _QUOTED.findall(question))
    unit = _PLACE.search(text) if kind == "place" else None
    place_unit = (unit.group("unit") or "") if unit else ""
    head = _head(text) if kind == "other" else ()
    destination = kind == "place" and bool(_WENT_WHERE.search(text))
    done_to = _DONE_TO.search(text) if kind == "person" else None
    any_body = kind == "organisation" and not _FIRM.search(text)
    held_by = kind == "person" and bool(_WHO_HELD.search(text))
    sent_to = kind in ("person", "place", "organisation") and bool(_SENT_TO.search(text))
    return Asked(
        kind, counting_word, counted, years, bool(_PLAN.search(text)), phrases, place_unit.replace("城市", "市"), head,
        destination, done_to.group(1) if done_to else "", tuple(d.replace("号", "日") for d in _DAY.findall(text)), any_body,
        held_by, sent_to,
    )


def _head(text: str) -> tuple[str, ...]:
    """The kind of thing a which-question asks for, as the words a report would use."""
    english = _WHICH_EN.search(text)
    if english:
        groups = english_term_groups(english.group(1).split()[-1])
        return groups[0] if groups else ()
    which = _WHICH.search(text)
    if which:
        nouns = _nouns(text[which.end() : which.end() + 8], until_verb=True)[:1]
        return tuple(nouns)
    return ()


def _kind(text: str) -> str:
    # A figure question may also say "哪家" ("哪家企业投资了多少亿元"): the figure is what is asked.
    for kind, pattern in (("figures", _FIGURES), ("ordinal", _ORDINAL), ("number", _NUMBER), ("title", _TITLE), ("organisation", _ORGANISATION),
                          ("person", _PERSON), ("place", _PLACE), ("date", _DATE)):
        if kind == "place" and (_IN_WHAT_RESPECT.search(text) or WHICH_COMMITTEE.search(text)):
            continue
        if pattern.search(text) and not (kind == "person" and _ANYONE.search(text)):
            return kind
    return "other"


def _counted(text: str) -> tuple[str, tuple[str, ...]]:
    """The counting word and the nouns a figure question counts: "提案立案多少件" → (件, 提案 立案)."""
    match = _COUNTED_AFTER.search(text)
    if not match:
        return "", ()
    counting_word = match.group(1) or ""
    after = _nouns(match.group(2) or "", until_verb=True)[:3] or _event_after(match.group(2) or "")
    if after:  # "多少次视察", "多少名委员": the thing written after the number is what is counted
        return counting_word, tuple(after)
    clause_start = max(text.rfind(p, 0, match.start()) for p in "，,。？?；;、 ") + 1
    return counting_word, tuple(_nouns(text[clause_start : match.start()])[-2:])  # "提案立案多少件"


def _event_after(text: str) -> list[str]:
    """"多少次[视察]": an event word right after the counting word is counted, though a verb elsewhere."""
    import jieba.posseg

    segmenter()
    words = [w.word for w in jieba.posseg.cut(text) if w.word.strip()]
    return words[:1] if words and words[0] in _ACTIONS and len(words[0]) >= 2 else []


def _nouns(text: str, until_verb: bool = False) -> list[str]:
    """Content words that can be counted, proper names of places and people left out."""
    import jieba.posseg

    segmenter()
    nouns = []
    for word in jieba.posseg.cut(text):
        if until_verb and nouns and (word.word in _ACTIONS or word.flag.startswith(("v", "p"))):
            break  # "多少名委员在公众号分享…": what is counted ends where the action begins
        text = word.word.replace("政协", "")  # 政协委员 counts 委员
        if word.flag in ("ns", "nr", "nz", "nt") or text in _ACTIONS or text in _NOT_COUNTED:
            continue
        if word.flag.startswith(("n", "v", "j", "l", "i")) and len(text) >= 2:
            nouns.append(text)
    return nouns


def same_count(a: str, b: str) -> bool:
    """Whether counting words `a` and `b` can count the same thing (件/项, 名/位/人)."""
    if a == b or any(a in group and b in group for group in _SAME_COUNT):
        return True
    return "个" in (a, b) and not {a, b} & _MEASURED
