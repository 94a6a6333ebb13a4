"""A passage -> the year its section is about, and whether it reports work done or plans.

One report often holds both: 姜堰's 常委会工作报告 has "2024年工作回顾" and "2025年工作安排";
杜集's whole report is a 2025 plan. A passage takes the year of the nearest heading above it
that names one, else its report's year; it is a plan when
- a heading above it speaks of plans (安排, 谋划, 计划, 打算, 思路, 展望, 要点, 目标任务);
- or the report as a whole is one (kind 工作谋划 / 工作安排 / 工作要点 / 工作计划);
- or its paragraph says what the committee will do: "政协委员工委会将以…", "鎮江市政協將深入貫徹…"
  (`_OUTLOOK`: a committee, then 将 and the verb or adverb of an intention). This is a summary's
  closing paragraph; its year is unknown (the year after the report's, at the earliest), so it is
  labelled "计划" without one. "将" followed by a noun ("我们将委员们提出的…建议") is 把, not will.
`plan_label` is what cards, overview rows and basket items show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.records import Chunk
from rag.text import YEAR, normalize

_PLAN = re.compile(r"安排|谋划|计划|打算|思路|展望|要点|目标任务|新征程上")
_PLAN_KINDS = ("工作谋划", "工作安排", "工作要点", "工作计划")
_OUTLOOK = re.compile(
    r"(?:政协|委员会|工委会?|常委会|我们)将(?:以|继续|持续|进一步|深入|坚持|全面|紧紧|紧扣|围绕|聚焦|着力|努力|更加|切实|不断|"
    r"始终|积极|大力|奋力|认真|牢牢|锚定)"
)


@dataclass(frozen=True, slots=True)
class Period:
    year: int | None
    plan: bool

    @property
    def label(self) -> str:
        """"2025年计划" or "2024年" (or "" when the year is unknown), for cards and answers."""
        if self.year is None:
            return "计划" if self.plan else ""
        return f"{self.year}年计划" if self.plan else f"{self.year}年"


def period_of(chunk: Chunk) -> Period:
    year, plan = chunk.year, chunk.kind in _PLAN_KINDS
    for heading in chunk.headings:  # outermost first: an inner heading's year wins
        heading = normalize(heading)
        years = YEAR.findall(heading)
        if years:
            year = int(years[-1])
        if _PLAN.search(heading):
            plan = True
    if not plan and _OUTLOOK.search(normalize(chunk.text)):
        return Period(None, True)
    return Period(year, plan)


def plan_label(chunk: Chunk) -> str:
    """"2025年计划" (or "计划" when its year is unknown) for a passage about plans, "" for one about work done.

    For anything quoted from a passage: a source card, an overview cell, a basket item
    (`plan_label(excerpt.chunk)`).
    """
    period = period_of(chunk)
    return period.label if period.plan else ""
