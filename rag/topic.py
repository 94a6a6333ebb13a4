"""What a question across committees asks about each of them: its scope, its topic, and what a
committee's report lacks when it has no line.

"各地政协[提案办理满意率]分别是多少", "哪些政协的报告里提到了[志愿服务]", "分别组织了哪些[读书活动]":
the scope words (各地, 哪些政协的报告里提到了) are not the topic; the rates a question names are; a
which-question's noun is, unless it only says what kind of answer is wanted (哪些活动, 什么新做法);
a figure question's counted noun is ("多少件[集体提案]").
"""

from __future__ import annotations

import re

from rag.committees import place_stem
from rag.errors import BadQuestion
from rag.question import Asked, same_count
from rag.text import GENERIC_WORDS, figure_spans, normalize, segmenter
from rag.theme import REQUEST_WORDS, THEMES, theme_for

_ACROSS = re.compile(r"各地|各个|各县|各市|各区|各家|哪些地方|哪些政协|哪几个|分别|对比|比较|各政协|都有|都在|each|every|which committees", re.I)
TYPED = ("place", "organisation", "person", "title", "date", "ordinal", "figures")
KIND_WORDS = {
    "number": "数字", "figures": "数字", "ordinal": "届次或期数", "place": "地点", "organisation": "单位名称",
    "person": "人名", "title": "名称", "date": "时间",
}
SCOPE_WORDS = re.compile(
    r"^(?:请问|请)?(?:各地|各个|各县|各市|各区|各家|各|所有|哪些|哪几个|[两三四五六几]地|这些|上述)?(?:地方)?的?(?:政协|委员会)?的?"
    r"(?:(?:工作)?报告|综述|总结|材料)?(?:里|中)?都?(?:提到|提及|写到|说到|讲到|谈到)?了?"  # "哪些政协的报告里提到了X": X is asked
)
_TOPIC_END = re.compile(r"分别|都|是多少|有多少|是什么|有什么|有哪些|怎么|怎样|如何|多少|几[个件次名位项家篇条批场人]|哪些|哪几|[？?。，,!！]")
RATE = re.compile(r"[\u4e00-\u9fff]{2}率")
_WHICH_NOUN = re.compile(r"(?:哪些|哪几[个项类种]?|什么)([\u4e00-\u9fff]{2,})")
# The kind of answer a which-question wants, not its topic: "哪些[活动]", "什么[新做法]".
_VAGUE_KINDS = re.compile(r"新?(?:活动|工作|做法|举措|措施|事情|内容|方面|项目|成果|成绩|亮点|特色|经验|事)|[？?。，,!！]")
_COUNTED = re.compile(r"(?:多少|几)(.*)$")
_ASIDE = re.compile(r"[(（][^)）]*[)）]")  # "（或计划开展）"
_NUMERAL = re.compile(r"^[\d.,，\s一二三四五六七八九十百千万亿两余多]+")
_MEASURE = {"场": "场次", "名": "人数", "位": "人数", "人": "人数", "人次": "人次"}
# "海安市政协委员工委", "XX政协办公室": the body after a committee's name is who, not what.
BODY_AFTER_NAME = r"(?:委员工委|委员工作委员会|办公室|机关)?"
_YEAR_WORD = re.compile(r"(?:19|20)\d\d年?度?")
# Words around a cross-committee question's topic that are not the topic: tense, plans, particles.
_FILLER = frozenset(
    "了 的 之 在 有 是 要 将 计划 打算 安排 准备 将要 今后 明年 各自 分别 都 又 还 次 场 场次 件 个 名 位 篇 项 家 条 批 人 人次 期 "
    "为 对 关于 方面 做 干 搞 做了 干了 搞了".split()
)


def asks_across(question: str, named: int) -> bool:
    """Whether `question` wants one line per committee: it names two or more, or none and says 各地/分别/…"""
    return named >= 2 or (named == 0 and _ACROSS.search(question) is not None)


def counts_in(text: str, word: str) -> bool:
    """Whether a figure of `text` is written with counting word `word`, or one counting the same things."""
    folded = normalize(text)
    units = (_NUMERAL.sub("", folded[start:end]) for start, end in figure_spans(folded))
    return any(unit and same_count(word, unit) for unit in units)


def missing_what(topic: str, asked: Asked) -> str:
    """What a committee's report does not give: 满意率, 社情民意信息的篇数, 所问的地点, 协商方面的计划."""
    if asked.phrases:
        return "、".join(f"“{phrase}”" for phrase in asked.phrases)
    if asked.kind in TYPED and asked.kind != "figures":
        return f"所问的{KIND_WORDS[asked.kind]}"
    if asked.kind == "number" and not RATE.search(topic):
        word = asked.counting_word
        return f"{topic}的{_MEASURE.get(word, word + '数') if word else '数字'}"
    return f"{topic}方面的计划" if asked.plan else topic


def topic_of(standalone: str, asked: Asked, names: tuple[str, ...]) -> str:
    """What a cross-committee question asks about each committee: the rates it names ("满意率"), else
    the content words around its question word ("各地政协[社情民意信息]分别报送了多少篇", "2025年
    分别计划怎么开展[协商]"), else the nouns it counts ("分别开展了多少次[协商活动]")."""
    text = _ASIDE.sub(" ", _YEAR_WORD.sub(" ", normalize(standalone)))
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(re.escape(normalize(name)) + BODY_AFTER_NAME, " ", text)
    rates = list(dict.fromkeys(RATE.findall(text)))
    if rates:
        return "、".join(rates)
    text = SCOPE_WORDS.sub("", text.strip().lstrip("和与及、 ").strip())
    pieces = _TOPIC_END.split(text)
    counted = _COUNTED.search(text)
    if asked.kind == "number" and counted:  # "多少件[集体提案]": what is counted comes first
        pieces.insert(0, _TOPIC_END.split(counted.group(1))[0])
    elif (which := _WHICH_NOUN.search(text)) and _VAGUE_KINDS.sub("", which.group(1)) not in ("", *_FILLER):
        pieces.insert(0, _TOPIC_END.split(which.group(1))[0])  # "组织了哪些[读书活动]", not "哪些[活动]"
    for piece in pieces:
        words = [w for w in segmenter().lcut(piece.strip()) if w.strip()]
        while words and (words[0] in _FILLER or words[0] in GENERIC_WORDS):
            words.pop(0)
        while words and (words[-1] in _FILLER or words[-1] in GENERIC_WORDS):
            words.pop()
        topic = "".join(words)
        for word in sorted(GENERIC_WORDS | _FILLER, key=len, reverse=True):  # "开展调研" as one jieba word
            if topic.startswith(word) and len(topic) >= len(word) + 2:
                topic = topic[len(word) :]
        if any(len(w) >= 2 and w not in REQUEST_WORDS for w in words):
            return topic
    return "".join(asked.counted) or "所问的内容"


def known_theme(topic: str) -> bool:
    try:
        return theme_for(topic) in THEMES
    except BadQuestion:
        return False


def owners(standalone: str, items: tuple[str, ...], committees: list[str]) -> dict[str, str]:
    """The committee each item of a question (a “quoted” phrase, a year) belongs to, when the
    question gives each committee its own ("金湖县政协开的电视专栏、洪泽区政协搞的“议事月”";
    "镇江市政协2024年和姜堰区政协2025年"): the one committee named between the item's clause (or
    the item before it) and the item. An item with none, or several ("金湖和洪泽都开展了“X”"),
    belongs to all."""
    text = normalize(standalone)
    found, after_previous = {}, 0
    for at, item in sorted((text.find(item), item) for item in items):
        if at < 0:
            continue
        start = max(after_previous, max(text.rfind(mark, 0, at) for mark in "、，,；;。？?") + 1)
        named = [short for short in committees if (place := place_stem(short)) and place in text[start:at]]
        if len(named) == 1:
            found[item] = named[0]
        after_previous = at + len(item)
    return found
