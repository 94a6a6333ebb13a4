"""A follow-up question + the questions before it -> a stand-alone question to search.

Without a language model, history is used in two narrow, predictable ways:
- A short elliptical question (starting with 那/还有, ending with 呢, or asking only "又怎么做", "也有吗")
  naming another committee ("那洪泽区呢？", "And Hongze?", "杜集区政协又打算怎么做？") asks the
  previous question again about that committee: the previous committee's name is
  replaced by the new one ("洪泽区政协提案立案多少件？").
- A short elliptical question naming no committee ("那办结率呢？") keeps the previous
  question's committees: their names are put in front of it.
- The topic carried to another committee leaves out the first committee's own words: a
  word of the previous question that only the previous committee's report uses ("委员工委",
  海安's body) names that committee's body, not the topic, and the new committee's report
  lacks it; the rest of the question is carried ("那金湖县呢？" after "海安委员工委组织了
  多少次视察？" asks about 金湖's 视察).
- "两者", "这两件事" in a question stand for what the previous one framed ("在团结和民主这两件事上，"):
  "…怎么把两者结合起来？" asks how to combine 团结和民主.
Anything longer, or a first question, is searched as it is.
"""

from __future__ import annotations

import re
from typing import Callable

from rag.text import normalize, tokenize

_SHORT = 16  # characters; longer questions carry their own context
# Only a question that reads as elliptical is a follow-up; "镇江市政协新增设了哪个界别？" is not.
# "杜集区政协又打算怎么做？", "金湖也有吗？": the same asked again of another committee
_ASKED_AGAIN = r"(?:(?:又|也|还)(?:打算|准备|计划|是)?(?:怎么|如何|怎样)[\u4e00-\u9fff]{0,4}?的?|(?:又|也|还)有(?:吗|没有)?)[？?\s]*$"
_ELLIPTICAL = re.compile(rf"^(那么|那|还有|另外|and\b|what about|how about)|呢\s*[？?]?\s*$|{_ASKED_AGAIN}", re.I)
_BODY = re.compile(r".(?:委|办|室|组|部|处|中心|委员会)$")
# "…又打算怎么做？" asks its own thing about the earlier topic: the earlier question's frame
# ("在X这件事上，", "关于X，") is the topic, and what it asked of its committee ("觉得哪里还不够")
# is not carried.
# "…又是怎么往下推的？": the asker's own verb ("往下推") is asked of the new committee too.
_OWN_ASKING = re.compile(r"(?:又|也|还)((?:打算|准备|计划|是)?(?:怎么|如何|怎样)[\u4e00-\u9fff]{0,4}?的?)[？?\s]*$")
# "在X这件事上，" or a bare topic put first ("学习宣传党的二十大精神，金湖县政协是怎么定位的？").
_FRAME = re.compile(r"^((?:在|关于|对于|围绕|就)[^，,。？?]{2,30}?(?:这件事上|这方面|方面|上|中)?|[^，,。？?]{4,30})[，,]")
_ASKING_WORDS = re.compile(r"怎么|如何|怎样|什么|哪|吗|多少|几|请问")
_YEAR = re.compile(r"(?:19|20)\d\d年?")
# "两者", "这两件事" stand for what the earlier question framed ("在团结和民主这两件事上，…").
_ANAPHOR = re.compile(r"这两者|两者|二者|这两件事|这几件事|这两方面|这两项")
_FRAMED = re.compile(r"^(?:在|关于|对于|围绕|就)([^，,。？?]{2,30}?)(?:这(?:两|几|些)?件事上?|这(?:两|几)?个?方面|方面|上|中)?[，,]")
_FILLER = re.compile(rf"^(那么|那|还有|另外|and|what about|how about)\s*|[呢吗啊呀嘛？?。！!，,\s]+$|{_ASKED_AGAIN}", re.I)


def standalone_question(
    question: str,
    previous: list[str],
    named_reports: Callable[[str], list[str]],
    names_of: Callable[[str], list[str]],
    short_name_of: Callable[[str], str],
    reports_with: Callable[[str], set[str]] | None = None,
) -> str:
    """`previous`: earlier questions of the conversation, oldest first, as asked.

    `named_reports(text)` gives the reports a text names; `names_of(report_id)` every name
    a question may use for it (longest first); `short_name_of(report_id)` its display name;
    `reports_with(word)` the reports whose text holds a word (None: keep every word).
    """
    question = question.strip()
    framed = _FRAMED.match(previous[-1].strip()) if previous and _ANAPHOR.search(question) else None
    if framed:
        return _ANAPHOR.sub(framed.group(1), question, count=1)
    # A year names when, not what: "杜集区政协2025年又打算怎么做？" is as short as without it.
    # and so does the committee's name: "海安市政协委员工委又是怎么往下推的？" is short.
    if not previous or len(_YEAR.sub("", _without_names(question, named_reports, names_of))) > _SHORT or not _ELLIPTICAL.search(question):
        return question
    before = previous[-1]
    for earlier in previous[:-1][-3:]:  # the previous question may itself have been a follow-up
        before = standalone_question(before, [earlier], named_reports, names_of, short_name_of, reports_with)
    now_named = named_reports(normalize(question))
    then_named = named_reports(normalize(before))
    if not then_named and not now_named:
        return question
    core = _FILLER.sub("", _FILLER.sub("", question))
    if now_named:
        if not then_named:
            return question
        old_names = [name for report_id in then_named for name in names_of(report_id)]
        # Keep the question as typed (full-width ？, Traditional) unless only its normalised form names the committee.
        topic = before if any(name in before for name in old_names) else normalize(before)
        for name in old_names:
            topic = topic.replace(name, "")
        rest = core
        for report_id in now_named:
            for name in names_of(report_id):
                rest = normalize(rest).replace(normalize(name), "")
        if reports_with is not None:
            topic = _without_own_words(topic, set(then_named), set(now_named), reports_with)
        if _YEAR.search(rest):  # "杜集区政协2025年又打算…": its own year, not the earlier one's
            topic = _YEAR.sub("", topic)
        own, frame = _OWN_ASKING.search(question), _FRAME.match(topic.strip())
        if frame and _ASKING_WORDS.search(frame.group(1)):
            frame = None  # "请问，…", "金湖怎么做的，…": no topic put first
        who = "、".join(short_name_of(r) for r in now_named)
        if own and frame:
            return f"{who}{rest}{frame.group(1)}{own.group(1)}？"
        return f"{who}{rest}{topic.strip()}"
    who = "、".join(short_name_of(r) for r in then_named)
    return f"{who}{core}"


def _without_names(question: str, named_reports: Callable[[str], list[str]], names_of: Callable[[str], list[str]]) -> str:
    bare = normalize(question)
    for report_id in named_reports(bare):
        for name in names_of(report_id):  # longest first
            bare = bare.replace(name, "")
    return bare


def _without_own_words(topic: str, then: set[str], now: set[str], reports_with: Callable[[str], set[str]]) -> str:
    """`topic` less the names of bodies (…委, …办, …室) that only the earlier committees' reports
    use and the new ones lack. Other words stay: a practice only one committee has ("云协商")
    is the topic itself, and asking the new committee about it is what the follow-up means."""
    for word in sorted(set(tokenize(normalize(topic))), key=len, reverse=True):
        having = reports_with(word)
        if _BODY.search(word) and having and having <= then and not having & now:
            topic = topic.replace(word, "") if word in topic else normalize(topic).replace(word, "")
    return topic
