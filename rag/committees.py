"""Which committees a question names: the corpus's own (also when misspelt by one character),
and committees without a report here, told apart as the subject asked about or a partner.

- A name is matched on the normalised question against each report's short name, place,
  place without its 市/县/区, and the aliases of corpus/reports.toml.
- A misspelt name is read as a corpus committee when it stands where a committee is named
  (a place followed by 政协/委员会) and differs from that committee's place by one character
  that sounds the same (金胡县 → 金湖县, 海按 → 海安) or keeps the same 市/县/区 (姜埝区 → 姜堰区).
  The answer then says how the name was read ("按“金湖县”理解").
- In a Chinese question, a committee's place may be written as the initials of its pinyin,
  as people type in chat ("jy政协", "hz那边": 姜堰, 洪泽). Read only as a whole Latin word of
  2-4 letters that stands for one corpus place alone, and said as a reading ("“jy”按“姜堰”理解").
- A committee with no report here is a reason to decline only when it is the subject asked
  about. Named as a partner ("与扬州市政协联合…", "和泰州市政协…"), or in a question asking
  which committee did something ("哪个政协…", "是哪个市政协的综述…"), it is context, not the subject.
  So is the committee of the city a corpus committee belongs to (泰州市 in 政协泰州市姜堰区委员会)
  in any which-question: "泰州市政协和哪个区政协联合调研" asks which of its districts did, and
  that district's report calls it 市政协. A city with no committee here under it ("扬州市政协与哪些
  县区政协…") heading the question stays its subject.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag.lexicon import places_before_committee
from rag.records import ReportMeta
from rag.text import normalize

# "盱眙县政协", "淮安市政协": a committee named by place. Generic words are not places.
_NAMED_COMMITTEE = re.compile(r"([\u4e00-\u9fff]{2,5}?(?:省|市|县|区|州|盟|旗))(?:政协|委员会)")
_NOT_A_PLACE = (
    "各地", "地方", "县区", "市县", "基层", "全国", "全省", "全市", "全县", "全区", "哪个", "哪些", "本市", "该市",
    "这个", "有的", "两地", "各县", "各市", "各区", "两个", "哪家", "哪里",
)
_ADMIN_SUFFIX = re.compile(r"(?:省|市|县|区|州|盟|旗)$")
# Words that make the committee after them a partner of the subject, not the subject.
_PARTNER_BEFORE = re.compile(r"(?:与|和|同|跟|向|赴|到|去|联合|携手|邀请|接待|会同|对接|协同|陪同|对口|来自|及)$")
# The question asks which committee did something: any committee it names is context.
_HEAD_POSSESSIVE = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:政协|委员会)的")
_LATIN_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,4}(?![A-Za-z])")
_ASKS_WHICH = re.compile(r"哪(?:个|些|家|一个|几个|两个)?(?:[省市县区]?政协|地方|[省市县区]|委员会)|哪里的政协|which committee", re.I)


@dataclass(frozen=True, slots=True)
class Naming:
    """What a question says about committees."""

    report_ids: tuple[str, ...]  # corpus reports named, in the order named (misspelt ones included)
    readings: tuple[tuple[str, str], ...] = ()  # (as written, as read): ("金胡县", "金湖县")
    unknown_subjects: tuple[str, ...] = ()  # committees without a report, asked about
    partners: tuple[str, ...] = ()  # committees without a report, named as context

    @property
    def reading_note(self) -> str:
        return "；".join(f"“{written}”按“{read}”理解" for written, read in self.readings)


class Committees:
    """The committee names of one corpus."""

    def __init__(self, reports: dict[str, ReportMeta]) -> None:
        self.reports = reports
        self.aliases = _alias_table(reports)
        self.initials = _initials_table(self.aliases)
        self.parents = _parent_places(reports)

    def in_reports_words(self, normalized: str) -> tuple[str, frozenset[str]]:
        """A which-question naming the city corpus committees belong to, in the words of their
        reports, and those committees: "淮安市政协和哪个县政协…" → ("市政协和哪个县政协…",
        金湖's and 洪泽's reports), as they call it 市政协 and the answer is one of them.
        Any other question: (normalized, empty)."""
        if not _ASKS_WHICH.search(normalized):
            return normalized, frozenset()
        under: set[str] = set()
        for parent, report_ids in self.parents.items():
            said = re.sub(rf"{parent}(?=政协)|{_ADMIN_SUFFIX.sub('', parent)}(?=政协)", "市", normalized)
            if said != normalized:
                normalized, under = said, under | report_ids
        return normalized, frozenset(under)

    def names_of(self, report_id: str) -> list[str]:
        """Every name a question may use for a report, longest first."""
        return sorted((name for name, ids in self.aliases.items() if report_id in ids), key=len, reverse=True)

    def named_reports(self, normalized: str) -> list[str]:
        """Reports whose committee the question names exactly, in the order named."""
        lowered = normalized.lower()
        found: list[tuple[int, str]] = []
        for alias, report_ids in self.aliases.items():
            at = lowered.find(alias)
            if at >= 0:
                found.extend((at, rid) for rid in report_ids)
        return list(dict.fromkeys(rid for _, rid in sorted(found)))

    def read(self, normalized: str) -> Naming:
        """The committees `normalized` (a normalised question) names, exactly or misspelt, and those it lacks."""
        named = [(normalized.lower().find(alias), rid) for alias, ids in self.aliases.items() for rid in ids if alias in normalized.lower()]
        readings, unknown, partners = [], [], []
        for at, place in self._places_naming_a_committee(normalized):
            corrected = self._correct(place)
            if corrected:
                read_as, report_ids = corrected
                readings.append((place, read_as))
                named.extend((at, rid) for rid in report_ids)
            elif _is_partner(normalized, at) or (place in self.parents and _ASKS_WHICH.search(normalized)):
                partners.append(place)
            else:
                unknown.append(place)
        for at, written, place in self._initials_in(normalized):
            readings.append((written, place))
            named.extend((at, rid) for rid in self.aliases[place])
        report_ids = tuple(dict.fromkeys(rid for _, rid in sorted(named)))
        return Naming(report_ids, tuple(dict.fromkeys(readings)), tuple(dict.fromkeys(unknown)), tuple(dict.fromkeys(partners)))

    def _places_naming_a_committee(self, normalized: str) -> list[tuple[int, str]]:
        """(position, place) of each place written before 政协/委员会 that is not a corpus name."""
        found = []
        for match in _NAMED_COMMITTEE.finditer(normalized):
            place = match.group(1)
            stem = _ADMIN_SUFFIX.sub("", place)
            if any(generic in place for generic in _NOT_A_PLACE):
                continue
            if place.lower() in self.aliases or stem.lower() in self.aliases:
                continue
            # "淮安市洪泽区政协": the regex takes the shortest place, the known one may follow it
            if any(alias in normalized[match.start() : match.end() + 4].lower() for alias in self.aliases):
                continue
            found.append((match.start(), place))
        for place in places_before_committee(normalized):
            if not any(place in alias or alias in place for alias in self.aliases):
                found.append((normalized.find(place), place))
        return found

    def _initials_in(self, normalized: str) -> list[tuple[int, str, str]]:
        """(position, as written, place) of each pinyin-initials name in a Chinese question ("jy" -> 姜堰)."""
        if not re.search(r"[\u4e00-\u9fff]", normalized):
            return []
        found = []
        for match in _LATIN_WORD.finditer(normalized):
            place = self.initials.get(match.group().lower())
            if place and match.group().lower() not in self.aliases:
                found.append((match.start(), match.group(), place))
        return found

    def _correct(self, place: str) -> tuple[str, list[str]] | None:
        """The corpus place `place` misspells by one character, with its reports; None if none or several."""
        matches = {}
        for alias, report_ids in self.aliases.items():
            for written in _tails(place, len(alias)):
                if _one_character_off(written, alias):
                    matches[alias] = report_ids
        if len({tuple(ids) for ids in matches.values()}) != 1:
            return None
        alias = max(matches, key=len)
        return alias, matches[alias]


def _tails(place: str, length: int) -> list[str]:
    """The end of `place` that is `length` characters long ("淮安市金胡县" → "金胡县"), if it has one."""
    return [place[-length:]] if len(place) >= length else []


def _one_character_off(written: str, name: str) -> bool:
    """Same length, one differing character, not the 市/县/区, and it rhymes with the right one (胡/湖, 埝/堰)."""
    if len(written) != len(name) or not all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return False
    differing = [(a, b) for a, b in zip(written, name) if a != b]
    if len(differing) != 1:
        return False
    a, b = differing[0]
    if _ADMIN_SUFFIX.fullmatch(b):
        return False  # 金湖市 is not 金湖县: another committee of the same place
    return _rhyme(a) == _rhyme(b)


@functools.cache
def _rhyme(character: str) -> str:
    """The pinyin final: 湖/胡 "u", 埝/堰 "ian"; 淮/海 differ ("uai"/"ai"), so 淮安 is never read as 海安."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(character, style=Style.FINALS)[0] or character


def _is_partner(normalized: str, at: int) -> bool:
    """Named after 与/和/赴…, or the question asks which committee did something; but a committee
    heading the question and acting ("扬州市政协与哪些县区…") is its subject whatever it asks."""
    before = normalized[max(0, at - 2) : at]
    if _PARTNER_BEFORE.search(before):
        return True
    heads = not normalized[:at].strip(" 请问在年月日0123456789")
    possessive = _HEAD_POSSESSIVE.match(normalized[at:]) is not None
    return bool(_ASKS_WHICH.search(normalized)) and (not heads or possessive)


def place_stem(short_name: str) -> str:
    """The place of a committee without 政协 and its 市/县/区: "金湖县政协" → "金湖"."""
    return _ADMIN_SUFFIX.sub("", short_name.removesuffix("政协"))


def _parent_places(reports: dict[str, ReportMeta]) -> dict[str, set[str]]:
    """The cities the corpus committees belong to, from their full names (政协泰州市姜堰区委员会 →
    泰州市), each with the reports of its committees."""
    parents: dict[str, set[str]] = {}
    for report_id, meta in reports.items():
        place = meta.short_name.removesuffix("政协")
        found = re.fullmatch(r"政协([\u4e00-\u9fff]{2,4}?[省市州盟])(.+)委员会", meta.committee)
        if found and found.group(2) == place:
            parents.setdefault(found.group(1), set()).add(report_id)
    return parents


def _alias_table(reports: dict[str, ReportMeta]) -> dict[str, list[str]]:
    """Lower-cased normalised name -> report ids: short name, place, place without its suffix, aliases."""
    table: dict[str, list[str]] = {}
    for report_id, meta in reports.items():
        place = meta.short_name.removesuffix("政协")
        names = {meta.short_name, place, *meta.aliases}
        if len(_ADMIN_SUFFIX.sub("", place)) >= 2:
            names.add(_ADMIN_SUFFIX.sub("", place))
        for name in names:
            key = normalize(name).lower().strip()
            if len(key) >= 2:
                table.setdefault(key, []).append(report_id)
    return table


def _initials_table(aliases: dict[str, list[str]]) -> dict[str, str]:
    """Pinyin initials -> the Chinese place name they stand for ("jy" -> "姜堰"), for initials of one committee only."""
    from pypinyin import Style, lazy_pinyin

    spelled: dict[str, set[tuple[str, ...]]] = {}
    place_of: dict[str, str] = {}
    for name, report_ids in aliases.items():
        if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name) or _ADMIN_SUFFIX.search(name) or name.endswith("政协"):
            continue
        initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
        spelled.setdefault(initials, set()).add(tuple(report_ids))
        place_of[initials] = name
    return {initials: place_of[initials] for initials, owners in spelled.items() if len(owners) == 1}

