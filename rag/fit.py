"""A sentence + what a question asks (rag.question.Asked) -> whether the sentence holds that kind of answer.

- A figure question is answered by a number attached to the thing asked: "提案立案159件" answers
  "提案立案多少件", "收到建议32件" does not, nor does "16名市一级党政负责人" answer "多少名委员".
  A figure is attached when the counted word stands in the figure's clause before it, or right
  after it ("23名文史委员"); it counts something else when another noun follows it or its
  counting word is of another kind (件 is not 名). A figure right before a 《title》 counts
  what the title names ("编报7期《洪泽社情民意》" answers "社情民意编了几期").
- A place, organisation or person question needs a sentence naming one (jieba's part-of-speech
  tags ns/nt/nr, or the words such names end with: 镇/村/街道…, 公司/协会/研究院…); for an
  organisation, a body the sentence says was set up counts too ("成立委员履职服务中心").
- A title question needs a 《title》 or a “named” thing; a date question a date.
"""

from __future__ import annotations

import functools
import re

from rag.question import Asked, same_count
from rag.text import FAMILY_NAMES, figure_spans, normalize, tagged

# ATTACHED: holds the answer; LOOSE: a figure of the right kind, counting nothing named; UNCLEAR: a
# figure whose clause names other things; NONE: no answer of the kind; OTHER: counts something else.
ATTACHED, LOOSE, UNCLEAR, NONE, OTHER = 1.0, 0.3, 0.0, -0.6, -1.0
_CLAUSE_BREAK = re.compile(r"[，,；;。：:、]")
_COUNTING_WORD = re.compile(r"(场次|人次|万元|亿元|名|件|篇|项|家|场|次|批|条|期|位|个|人|所|座|户|册|本|套|卷|元|天|周年|年|倍|%)$")
_PLACE_END = re.compile(
    r"[\u4e00-\u9fff]{1,8}(?:镇|村|街道|社区|乡|园区|开发区|新区|市|县|区|省|基地|馆|园|广场|小区|校区|湖|河|山|旧址|故居|遗址)"
)
# "由谁担任": the answer is a post ("由镇党委副书记兼任主任"), not a name.
_POST_HELD = re.compile(r"由[\u4e00-\u9fff()（）]{1,16}?(?:书记|主席|主任|部长|局长|县长|区长|市长|委员|干部)(?:兼任|担任|任)")
# Endings of named organisations; generic ones (企业, 中心, 局) name no one in particular.
_ORGANISATION_END = re.compile(
    r"[\u4e00-\u9fff]{2,12}(?:公司|集团|银行|协会|商会|学会|研究院|研究会|大学|学院|学校|医院|基金会|工作室|联合会|合作社|五局|集团)"
)
# The bodies every report names: no answer to "哪家/哪个单位".
_EVERYWHERE = re.compile(r"政协|委员会|[省市县区]委|政府|党组|人大")
# "成立了什么机构", "建立了哪些组织": a body set up is the answer, however generic its name
# (委员履职服务中心, 政协专家咨询委员会, 委员履职临时党支部), as is a party body of a kind
# ("委员联合党委", "专委会党支部"; not the 政协党组 every report names).
_BODY = r"(?:党组|党委|党支部|党总支|支部|委员会|工委|中心|研究院|研究会|调研组|小组|工作室|联谊会|服务站|联络站)"
_BODY_SET_UP = re.compile(
    rf"(?:成立|建立|设立|组建|新建)了?(?:[\d一二三四五六七八九十]+个)?[\u4e00-\u9fff()（）]{{0,12}}?{_BODY}(?![\u4e00-\u9fff]{{0,2}}(?:制度|机制|清单))"
    r"|(?:联合|临时|机关|履职|专委会|界别)(?:党委|党支部|党总支)"
)
# "镇江市委、市政协举行…座谈会": a body that held an event, for "谁举办的" / "who held".
_HOLDS_EVENT = re.compile(r"举行|举办|主办|召开|承办|组织")
_HELD_BY = re.compile(
    r"(?:[省市县区]?委|政协|政府|委员会|部门|大学|学院|协会|商会|研究院|[\u4e00-\u9fff]{2,6}(?:局|办))(?:联合|共同)?(?:举行|举办|主办|召开|承办)"
)
# "报送区委", "已报县委县政府", "向省市政协报送": the body a report went to, for "报给了谁".
_RECIPIENT = r"(?:[省市县区]委|[省市县区]?政府|省市政协|[省市县区]?政协|全国政协|党委|有关部门|职能部门|[\u4e00-\u9fff]{1,6}(?:局|部门))"
_SENT_TO_BODY = re.compile(
    rf"(?:报送|呈报|上报|转报|提交|递交|报)(?:给|至|到)?{_RECIPIENT}|向{_RECIPIENT}(?:报送|呈报|上报|提交|转报|递交)"
)
# Words for groups of people a "谁" may be answered with.
_PEOPLE = "委员|常委|干部|群众|代表|人士|企业家|专家|学者|党员|职工|居民|村民|学生|老人|青年|妇女|儿童|界别|党派|乡贤"
_GOING = frozenset("赴 到 去 前往 走进 来到 奔赴 深入 在".split())
_TITLE = re.compile(r"《[^》]+》|“[^”]{2,}”|「[^」]{2,}」")
_DATE = re.compile(r"\d{1,2}月(?:\d{1,2}日)?|\d{4}年\d{1,2}月|[一二三四五六七八九十]+月|年初|年底|年末|上半年|下半年|期间")
_INSTITUTION = re.compile(r"政协|委员会")
_ORDINAL = re.compile(r"第[一二三四五六七八九十百\d]+")
_TITLE_AFTER = re.compile(r"《([^》]{2,30})》")
_ANNIVERSARY = re.compile(r"\d+周年")


def fits(sentence: str, asked: Asked) -> float:
    """How well `sentence` (as written) holds the kind of answer `asked` wants: 1 holds it, below 0 does not."""
    text = normalize(sentence)
    if asked.kind == "number":
        return figure_fit(text, asked)
    if asked.kind == "figures":
        return ATTACHED if figure_spans(text) else NONE
    if asked.kind == "ordinal":
        return ATTACHED if _ORDINAL.search(text) else NONE
    if asked.kind == "title":
        return ATTACHED if _TITLE.search(text) else NONE
    if asked.kind == "date":
        return ATTACHED if _DATE.search(text) else NONE
    if asked.sent_to and _SENT_TO_BODY.search(text):
        return ATTACHED
    if asked.kind == "place" and asked.place_unit:
        # "哪个街道" is answered by a name ending in 街道, not by any place
        return ATTACHED if re.search(rf"[\u4e00-\u9fff]{{2,6}}{asked.place_unit}", text) else NONE
    if asked.kind == "place" and asked.destination:
        # "去了哪里" is answered by where they went ("赴中共一大旧址", "在西柏坡举行"), not by a
        # place merely named ("发扬西柏坡精神").
        return ATTACHED if _went_to_place(text) else LOOSE if "place" in _entities(text) else NONE
    if asked.kind == "person" and (_POST_HELD.search(text) or (asked.held_by and _HELD_BY.search(text))):
        return ATTACHED
    if asked.held_by and "person" not in _entities(text):
        return LOOSE if _HOLDS_EVENT.search(text) else NONE
    if asked.done_to and "person" not in _entities(text) and re.search(rf"{asked.done_to}[^，,。；;]{{0,8}}?(?:{_PEOPLE})", text):
        # "党组成员联系谁": a group of people after the same verb answers as well ("联系党外委员"),
        # if less surely than a name.
        return LOOSE
    if asked.kind == "organisation" and asked.any_body and _BODY_SET_UP.search(text):
        return ATTACHED
    if asked.kind in ("place", "organisation", "person"):
        return ATTACHED if asked.kind in _entities(text) else NONE
    return 0.0


def figure_fit(text: str, asked: Asked) -> float:
    """The best fit among the figures of normalised `text` (NONE when it holds no figure)."""
    best = NONE
    spans = figure_spans(text)
    if asked.counting_word == "周年":  # "成立75周年" reads as a name, except to "多少周年"
        spans += [m.span() for m in _ANNIVERSARY.finditer(text)]
    for start, end in spans:
        best = max(best, _one_figure(text, start, end, asked))
    return best


def _one_figure(text: str, start: int, end: int, asked: Asked) -> float:
    unit = _COUNTING_WORD.search(text[start:end])
    if asked.counting_word and unit and unit.group(1) != "%" and not same_count(asked.counting_word, unit.group(1)):
        return OTHER
    if not asked.counted:
        return ATTACHED if (unit or not asked.counting_word) else LOOSE
    before = _CLAUSE_BREAK.split(text[:start])[-1]
    after = _CLAUSE_BREAK.split(text[end:])[0][:8]
    if any(word in before or after.startswith(word) or word in after[:6] for word in asked.counted):
        return ATTACHED
    titled = _TITLE_AFTER.match(text, end)
    if titled:  # "编报7期《洪泽社情民意》": the figure counts what the title names, whatever jieba makes of it
        # a counted compound is named by its head ("文史资料" by 《姜堰文史》)
        return ATTACHED if any(word[:2] in titled.group(1) for word in asked.counted) else UNCLEAR
    noun_after = _first_noun(after)
    if noun_after and not any(noun_after in word or word in noun_after for word in asked.counted):
        return OTHER
    return UNCLEAR if _first_noun(before, skip=True) else LOOSE


def _first_noun(text: str, skip: bool = False) -> str:
    """The noun `text` starts with, past numerals, measure words and single characters
    ("市一级党政负责人" → 党政); with `skip`, the first noun anywhere in it."""
    for word, flag in tagged(text):
        # jieba tags fixed phrases "l" (意见建议) and abbreviations "j" (社情民意): nouns here too.
        if flag.startswith(("n", "l", "j")) and flag != "ns" and len(word) >= 2:
            return word
        if not (skip or len(word) == 1 or flag.startswith(("a", "b", "m", "q"))):
            return ""
    return ""


def _went_to_place(text: str) -> bool:
    """Whether normalised `text` says someone went to, or did something at, a named place: a verb
    of going (赴, 到, 走进) or 在, then a place (jieba's ns, or a name ending 旧址/纪念馆/村…)."""
    words = tagged(text)
    at = 0
    for (word, _), (_, following) in zip(words, words[1:]):
        at += len(word)
        if word not in _GOING:
            continue
        if following == "ns" or (_PLACE_END.match(text, at) and text[at] not in "全本各我该"):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _entities(text: str) -> frozenset[str]:
    """The kinds of named thing normalised `text` holds: place, organisation, person."""
    kinds = set()
    for word, flag in tagged(text):
        if len(word) < 2 or _EVERYWHERE.search(word):
            continue
        if flag == "ns":
            kinds.add("place")
        elif flag == "nt":
            kinds.add("organisation")
        elif flag == "nr" and len(word) <= 3 and word[0] in FAMILY_NAMES:
            kinds.add("person")
    if any(not _INSTITUTION.search(m.group()) for m in _PLACE_END.finditer(text)):
        kinds.add("place")
    if any(not _EVERYWHERE.search(m.group()) for m in _ORGANISATION_END.finditer(text)):
        kinds.add("organisation")
    return frozenset(kinds)
