"""A sentence's names -> those its cited passages do not bear out.

Checked whole, each against the evidence of rag.support (passages plus their committee, title
and sections):

- 《titles》 and “quoted terms”: the text between the marks must stand in a passage.
- Committees (rag.names reads every written form: 洪泽区政协, 政协淮安市洪泽区委员会, 鎮江市政協):
  one is borne out when it is the committee of a cited passage, when a passage names it ("与
  上海黄浦区政协…"), or when it is a committee above the passage's own that the passage refers
  to by level ("与市政协联合…" for 淮安市政协 in a 金湖县 passage). A sentence about 洪泽区政协
  citing only 金湖县政协's passages is reported, with the passage that is about 洪泽 when the
  answer had one.
- Places, organisations and people: words jieba's dictionary tags as such (ns, nt, nz, nr…)
  and organisation names by their ending (…大学, …研究院, …基金会) must stand in a passage.
"""

from __future__ import annotations

import functools
import re

from rag.names import Committee, committee_named, committees_named, place_stem
from rag.records import Chunk
from rag.support import Evidence, polarity_words, tokens
from rag.text import FAMILY_NAMES, STOPWORDS, segmenter

PROPER_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nt", "nz", "j"})  # j: abbreviations such as 中石化, 三局
_TITLE = re.compile(r"《([^》]+)》")
_QUOTED = re.compile(r"“([^”]+)”|「([^」]+)」|\"([^\"]+)\"|‘([^’]+)’")
_ORGANISATION_ENDINGS = ("大学", "学院", "研究院", "基金会", "商会", "集团", "公司", "日报", "晚报", "电视台", "银行", "医院", "网")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_SPACE = re.compile(r"\s+")
_BEFORE_A_NAME = set("与和同及、向在由对把被从给为跟赴到于")
_COUNTED = re.compile(r"[0-9一二两三四五六七八九十百千]+个")


def marked_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each 《title》 and quoted term of `text`, marks included."""
    return [m.span() for m in _TITLE.finditer(text)] + [m.span() for m in _QUOTED.finditer(text)]


@functools.cache
def _tags() -> dict[str, str]:
    import jieba.posseg

    segmenter()
    return jieba.posseg.dt.word_tag_tab


def is_proper(word: str) -> bool:
    """A place, organisation or person by jieba's dictionary ("洪泽", "江苏", "南京大学", "茅以升");
    a person's name starts with a family name (jieba tags "特邀" nr too)."""
    tag = _tags().get(word)
    return len(word) >= 2 and tag in PROPER_TAGS and (not tag.startswith("nr") or word[0] in FAMILY_NAMES)


def name_problems(text: str, masked: str, ev: Evidence, uncited: dict[int, Chunk]) -> list[str]:
    """What `text` (a normalised sentence; `masked` the same with numbers and quoted terms blanked)
    names that `ev` does not bear out."""
    words = tokens(masked, guess=True)
    squeezed = _SPACE.sub("", ev.text)
    problems = []
    for match in _TITLE.finditer(text):
        if _SPACE.sub("", match[1]) not in squeezed:
            problems.append(f"书名《{match[1]}》未见于{ev.where}")
    for match in _QUOTED.finditer(text):
        term = next(group for group in match.groups() if group)
        if _SPACE.sub("", term) not in squeezed:
            problems.append(f"提法“{term}”未见于{ev.where}")
    wrong, committee_text = committee_problems(text, ev, uncited)
    problems.extend(wrong)
    seen: set[str] = set()
    for index, (word, at) in enumerate(words):
        if (word in ev.text and not word.endswith(_ORGANISATION_ENDINGS)) or word in polarity_words():
            continue  # negations and comparisons are rag.support's
        if "政协" in word and (word == "政协" or _after_a_place(text, at)):
            continue  # part of a committee named with its place ("海安" + "市政协"): checked above
        name = _organisation(words, index) or (word if is_proper(word) or _made_up_name(word, text, at) else "")
        if not name or name in seen or name in ev.text or word in committee_text:
            continue
        seen.add(name)
        problems.append(f"{'地名' if _tags().get(name) == 'ns' else '名称'}“{name}”未见于{ev.where}")
    return problems


def _after_a_place(text: str, at: int) -> bool:
    """`text[at:]` continues a name: the character before is no function word ("与省政协" is a name of its own)."""
    return at > 0 and bool(_CJK.fullmatch(text[at - 1])) and text[at - 1] not in _BEFORE_A_NAME


def _organisation(words: list[tuple[str, int]], index: int) -> str:
    """"江苏" + "大学" → "江苏大学"; "人民网": a word ending as organisations do, with the word before it."""
    word, at = words[index]
    if not word.endswith(_ORGANISATION_ENDINGS):
        return ""
    before, start = words[index - 1] if index else ("", -1)
    bare = word in _ORGANISATION_ENDINGS  # "江苏" + "大学"; but "南京大学" is whole, whatever precedes it
    joined = bare and start + len(before) == at and _CJK.fullmatch(before) and before not in STOPWORDS
    name = before + word if joined else word
    return name if len(name) >= 3 else ""


def _made_up_name(word: str, text: str, at: int) -> bool:
    """A word jieba did not know that it reads as a name in its clause (people: "李养林")."""
    if len(word) < 2 or not _CJK.fullmatch(word) or word in segmenter().dt.FREQ:
        return False
    import jieba.posseg

    start = max(text.rfind(ch, 0, at) for ch in "，,、；;：:。 ") + 1
    pairs = jieba.posseg.cut(text[start : at + len(word) + 4])
    # A guessed "j" (abbreviation) is jieba gluing words ("立案数比上年": "数比"), not a name.
    return any(pair.word == word and pair.flag in PROPER_TAGS - {"j"} for pair in pairs)


@functools.lru_cache(maxsize=256)
def _committee_of(name: str) -> Committee | None:
    return committee_named(name)


def _place_of(chunk: Chunk) -> str:
    committee = _committee_of(chunk.committee)
    return committee.places[-1] if committee else ""


def committee_problems(text: str, ev: Evidence, uncited: dict[int, Chunk]) -> tuple[list[str], str]:
    """Problems with the committees `text` names, and the places of those reported (so that "洪泽"
    is not reported again as a place)."""
    own = [c for c in map(_committee_of, (chunk.committee for chunk in ev.chunks)) if c]
    owners = "、".join(dict.fromkeys(chunk.short_name for chunk in ev.chunks))
    problems, places = [], []
    for clause in re.split(r"[,，;；:：。！？!?、]", text):
        if "政协" not in clause and "委员会" not in clause:
            continue
        for named in committees_named(clause):
            if _COUNTED.search(named.places[-1]):
                continue  # "省内外十七个县区政协": a count of committees, not one
            if any(named.places[-1] == o.places[-1] for o in own) or _mentioned(named, ev.text, own):
                continue
            elsewhere = [n for n, chunk in uncited.items() if _place_of(chunk) == named.places[-1]]
            hint = f"（{named.short_name}见[{elsewhere[0]}]）" if elsewhere else ""  # the passage the model should have cited
            problems.append(f"委员会“{named.short_name}”与{ev.where}不符：{ev.where}出自{owners}{hint}")
            places.extend(named.places)
    return problems, " ".join(places)


def _mentioned(named: Committee, text: str, own: list[Committee]) -> bool:
    """The passages name this committee, or refer by level to it as one above their own ("市政协")."""
    place = named.places[-1]
    stem = place_stem(place)
    if named.short_name in text or named.full_name in text or (len(stem) >= 2 and f"{stem}政协" in text):
        return True
    # A place read too long ("海安组织高新区" of "海安组织高新区政协委员") ends in the one the passage names.
    if any(f"{place[k:]}政协" in text for k in range(1, len(place) - 2)):
        return True
    above = any(set(named.places) < set(o.places) for o in own)
    return above and f"{named.places[-1][-1]}政协" in text
