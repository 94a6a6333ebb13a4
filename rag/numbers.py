"""Normalised text -> the quantities written in it, as values, in every notation reports and models use.

A quantity is a number with what it counts: "159件", "１５９件", "一百五十九件", "76.5%",
"百分之七十六点五", "1400余万元" (14,000,000 元, more than), "1.2万", "两千", "近90场" (fewer
than 90). What is read:

- Arabic digits (full-width ones are folded by `rag.text.normalize` first), "1,234", decimals,
  a scale (万/亿) and a counter or unit after it (件, 篇, 人次, 元, %, 年, …).
- Chinese numerals: 一百五十九, 两千, 一千零一十二, 十余, 七十六点五, 二〇二三. A single numeral
  counts only with a counter ("三家", "五个"), and a lone 一 never: "一批", "一件提案", "一是"
  are phrasing, not counts.
- Approximations: 余/多/超过/逾/以上 (more than), 近/将近/接近/不到/不足/以下 (fewer than),
  约/大约/左右/上下 (about).
- Ordinals name an item, not an amount: 第29届, 十一届, 二次会议 after 届, 23号. They are read
  (a wrong session number is still wrong) but only ever match ordinals.

Numbers inside “quotes” and 《titles》 are not read: the verifier checks a quoted term whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_SCALES = {"万": 10_000, "亿": 100_000_000}
_ZH = r"[零〇一二两三四五六七八九十百千][零〇一二两三四五六七八九十百千万亿]*(?:点[零〇一二三四五六七八九]+)?"
_ARABIC = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
COUNTERS = (
    "场次|人次|批次|个月|周年|万元|亿元|平方米|公里|元|件|篇|个|次|场|名|位|人|家|项|条|期|批|届|所|座|户|起|部|本|份|"
    "支|处|片|年|月|日|天|轮|组|类|种|款|间|台|辆|吨|亩|米|岁|倍|节|章|版|幅|门|号|册|封|首|期"
)
_QUANTITY = re.compile(
    rf"(?P<pre>第|近|将近|接近|约|大约|超过|逾|不到|不足)?"
    rf"(?:百分之(?P<pnum>{_ARABIC}|{_ZH})"
    rf"|(?P<num>{_ARABIC}|{_ZH})(?P<approx>余|多)?(?P<scale>万|亿)?(?P<approx2>余|多)?(?:(?P<pct>%)|(?P<unit>{COUNTERS}))?)"
    r"(?P<post>左右|上下|以上|以下)?"
)
_QUOTED = re.compile(r"“[^”]*”|《[^》]*》|「[^」]*」|\"[^\"]*\"")
_MORE, _FEWER, _ABOUT = ">", "<", "~"
_APPROX = {"近": _FEWER, "将近": _FEWER, "接近": _FEWER, "不到": _FEWER, "不足": _FEWER, "以下": _FEWER,
           "约": _ABOUT, "大约": _ABOUT, "左右": _ABOUT, "上下": _ABOUT,
           "超过": _MORE, "逾": _MORE, "以上": _MORE, "余": _MORE, "多": _MORE}
_ORDINAL_UNITS = {"届", "号"}
_SESSION_AFTER = ("会议", "全会", "常委会", "主席会")
# Counters that count the same thing: a model writing "20名专家" for "20位专家" says the same.
_SAME_UNIT = {"位": "名", "人": "名", "场次": "场", "批次": "批"}


@dataclass(frozen=True, slots=True)
class Quantity:
    written: str  # as written in the (normalised) text: "1400余万元", "百分之七十六点五"
    start: int
    end: int
    value: float  # with its scale: "1400余万元" -> 14_000_000.0; a percentage is its number: 76.5
    unit: str  # "%", a counter ("件", "元", "人次"), or "" for a bare number
    approx: str = ""  # "" exact, ">" more than, "<" fewer than, "~" about
    ordinal: bool = False  # names an item (第29届, 十一届, 二次会议), not an amount

    @property
    def kind(self) -> str:
        """The unit as compared: synonymous counters folded."""
        return _SAME_UNIT.get(self.unit, self.unit)

    def same_value(self, other: "Quantity") -> bool:
        return abs(self.value - other.value) <= 1e-9 * max(1.0, abs(self.value)) and self.ordinal == other.ordinal

    def agrees(self, other: "Quantity") -> bool:
        """`self` (a claim) says no more than `other` (the source) about the same amount.

        An exact claim needs an exact source: "30次" is not what "30多次" says, nor "1400万元"
        what "1400余万元" says. "About" (约, 左右) claims accept any source of that value.
        """
        if not self.same_value(other) or (self.unit == "%") != (other.unit == "%"):
            return False
        if self.kind and other.kind != self.kind:
            return False
        return self.approx == other.approx or self.approx == _ABOUT


def chinese_value(numeral: str) -> float | None:
    """一百五十九 -> 159, 两千 -> 2000, 一千零一十二 -> 1012, 七十六点五 -> 76.5, 二〇二三 -> 2023; None if malformed ("十四五")."""
    whole, _, fraction = numeral.partition("点")
    if len(whole) > 1 and all(ch in _ZH_DIGITS for ch in whole):
        if len(whole) != 4:
            return None  # "三四个" is "three or four", not 34
        value = float("".join(str(_ZH_DIGITS[ch]) for ch in whole))  # a year, digit by digit: 二〇二三
    else:
        value = _chinese_integer(whole)
    if value is None or not all(ch in _ZH_DIGITS for ch in fraction):
        return None
    return value + (float("0." + "".join(str(_ZH_DIGITS[ch]) for ch in fraction)) if fraction else 0.0)


def _chinese_integer(numeral: str) -> float | None:
    total, section, digit = 0.0, 0.0, None
    for ch in numeral:
        if ch in "零〇":
            continue  # "一千零一十二": a zero only marks a skipped place
        if ch in _ZH_DIGITS:
            if digit is not None:
                return None  # two digits in a row: "十四五" is a name, not a number
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[ch]
            digit = None
        else:
            total = (total + section + (digit or 0)) * _ZH_SCALES[ch]
            section, digit = 0.0, None
    return total + section + (digit or 0)


def quantities(text: str) -> list[Quantity]:
    """The quantities of normalised `text` (rag.text.normalize), left to right, outside quotes and titles."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    found = []
    for match in _QUANTITY.finditer(text):
        if any(a <= match.start() < b for a, b in quoted) or not (match["num"] or match["pnum"]):
            continue
        quantity = _read(match, text)
        if quantity is not None:
            found.append(quantity)
    return found


def _read(match: re.Match, text: str) -> Quantity | None:
    number = match["pnum"] or match["num"]
    arabic = number[0].isdigit()
    value = float(number.replace(",", "")) if arabic else chinese_value(number)
    unit = "%" if match["pnum"] or match["pct"] else (match["unit"] or "")
    if not value or (not arabic and not match["pnum"] and not _counts(number, unit)):
        return None
    scale = match["scale"]
    if scale and unit != "%":
        value *= _ZH_SCALES[scale]
    marks = [match["pre"], match["approx"], match["approx2"], match["post"]]
    approx = next((_APPROX[m] for m in marks if m and m in _APPROX), "")
    before = text[match.start() - 1] if match.start() else ""
    ordinal = (
        match["pre"] == "第" or unit in _ORDINAL_UNITS or before == "届"
        or (unit == "次" and text.startswith(_SESSION_AFTER, match.end()))
    )
    return Quantity(match.group().removeprefix("第"), match.start(), match.end(), value, unit, approx, ordinal)


def _counts(numeral: str, unit: str) -> bool:
    """A Chinese numeral is a number when it is compound ("一百五十九", "二十") or counts with a counter ("三家")."""
    if len(numeral) > 1:
        return True
    return bool(unit) and numeral != "一"
