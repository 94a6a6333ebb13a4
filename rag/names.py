"""Committee names in every form people write them -> the committee: its places, full name, short name and aliases.

A name is 政协泰州市姜堰区委员会, 中国人民政治协商会议XX市委员会, 盱眙县政协, 淮北市杜集区政协, or a
body of a committee (XX市政协委员工委, XX市政协办公室: the committee is XX市政协), in Simplified or
Traditional script (政協…委員會). The full name is the formal 政协…委员会 of the places written;
a place's prefecture is not looked up, so 盱眙县政协 is 政协盱眙县委员会. A name starts where a word
starts and its place is no verb: "召开区政协党组…" names no committee "召开区政协". A committee in a
list ("江苏省政协、南通市政协等") is a partner of the text's author, not the author, and is left out.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag.text import normalize, segmenter

CJK = re.compile(r"[\u4e00-\u9fff]")
_SUFFIX = r"(?:特别行政区|自治州|自治县|自治旗|地区|省|市|县|区|州(?![市县区])|盟|旗)"
_UNIT = re.compile(rf"[\u4e00-\u9fff]{{1,7}}?{_SUFFIX}")
_UNITS = rf"(?:[\u4e00-\u9fff]{{1,7}}?{_SUFFIX}){{1,3}}?"
_COMMITTEE = re.compile(rf"(?:(?:中国人民政治协商会议|政协)(?P<formal>{_UNITS})委员会|(?P<short>{_UNITS})政协)")
# Words that are never a place's name, and characters that are in none.
_NO_PLACE = {"全", "各", "本", "该", "我", "两", "每", "哪", "这", "那", "县", "市", "区", "省", "地方", "基层", "有关", "相关"}
_NOT_IN_PLACES = re.compile("[政协委会党的了在和与及等]")
# jieba's tags of a word that is no place: verbs, prepositions, conjunctions, pronouns, adverbs, particles.
_NOT_PLACE_TAGS = ("v", "p", "c", "r", "d", "u", "m", "q", "f", "t")


@dataclass(frozen=True, slots=True)
class Committee:
    """A committee as a text names it: its places, outermost first ("泰州市", "姜堰区"), in Simplified script."""

    places: tuple[str, ...]
    written: str = ""  # the innermost place as written, when in Traditional script ("鎮江市")

    @property
    def full_name(self) -> str:
        return f"政协{''.join(self.places)}委员会"

    @property
    def short_name(self) -> str:
        return f"{self.places[-1]}政协"

    @property
    def aliases(self) -> tuple[str, ...]:
        """The place without its level ("姜堰"), as written too ("鎮江"), and in pinyin ("Jiangyan", "Hai'an", "Haian")."""
        place = self.places[-1]
        stem = place_stem(place)
        stems = [stem, self.written[: len(stem)]] if self.written else [stem]
        stems = [s for s in stems if len(s) >= 2] or [place]
        spelled = _pinyin(stems[0])
        return tuple(dict.fromkeys([*stems, spelled, spelled.replace("'", "")]))


def committee_named(text: str) -> Committee | None:
    """The first committee `text` names where a word starts, in any of the forms of the module docstring."""
    found = committees_named(text)
    return found[0] if found else None


def committees_named(text: str) -> list[Committee]:
    """Every committee named in `text`, in order; listed ones (…、XX政协、…等) left out."""
    found = []
    for original in text.splitlines():
        line = normalize(original)
        words = [(word.word, word.flag) for word in _posseg(line)]
        at = 0
        for index, (word, _) in enumerate(words):
            start, at = at, at + len(word)
            match = _COMMITTEE.match(line, start)
            if not match or not _starts_a_name(line, start, words[index - 1] if index else None):
                continue
            group = "formal" if match.group("formal") else "short"
            places = tuple(_UNIT.findall(match.group(group)))
            if _is_place(places[0], words[index:]) and not _is_listed(line, start, match.end()):
                # NFKC keeps the length of Chinese text, so the place as written sits at the same offsets.
                written = original[match.start(group) : match.end(group)][-len(places[-1]) :] if len(original) == len(line) else ""
                found.append(Committee(places, written if written != places[-1] else ""))
    return found


def _starts_a_name(line: str, start: int, before: tuple[str, str] | None) -> bool:
    """Not inside a phrase: at the line's start, after punctuation or a year, or after a preposition ("关于")."""
    if start == 0 or not CJK.match(line[start - 1]) or re.search(r"\d年$", line[:start]):
        return True
    return before is not None and before[1] == "p"


def _is_place(unit: str, words: list[tuple[str, str]]) -> bool:
    """`unit` (a place with its level, "姜堰区") begins with a place's name, not with "召开" or "全"."""
    stem = place_stem(unit)
    if stem in _NO_PLACE or _NOT_IN_PLACES.search(stem):
        return False
    first, flag = words[0]
    if len(stem) == 1:  # 沛县, 丰县: jieba must know the place whole
        return first == unit and flag.startswith("ns")
    return len(first) >= len(unit) or not flag.startswith(_NOT_PLACE_TAGS)


def _is_listed(line: str, start: int, end: int) -> bool:
    return line[start - 1 : start] == "、" or re.match(r"(?:委员会|常务委员会)?[、等]", line[end : end + 7]) is not None


@functools.lru_cache(maxsize=1024)
def _posseg(line: str) -> tuple:
    """jieba's words of one line with their part-of-speech tags; every character is in one word."""
    import jieba.posseg

    segmenter()
    return tuple(jieba.posseg.cut(line))


def place_stem(place: str) -> str:
    return re.sub(rf"{_SUFFIX}$", "", place)


def _pinyin(stem: str) -> str:
    """"姜堰" → "Jiangyan"; an apostrophe before a syllable starting with a vowel: "海安" → "Hai'an"."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(normalize(stem))
    spelled = syllables[0] + "".join(("'" if s[:1] in "aoe" else "") + s for s in syllables[1:])
    return spelled.capitalize()
