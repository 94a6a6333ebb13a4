"""A passage -> the year its section is about, and whether it reports work done or plans.

One report often holds both: 姜堰's 常委会工作报告 has "2024年工作回顾" and "2025年工作安排";
杜集's whole report is a 2025 plan. A passage takes the year of the nearest heading above it
that names one, else its report's year; it is a plan when that heading (or any heading above
it) speaks of plans, or the report as a whole is one (kind 工作谋划 / 工作安排 / 工作要点).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.records import Chunk
from rag.text import YEAR, normalize

_PLAN = re.compile(r"安排|谋划|计划|打算|思路|展望|要点|目标任务|新征程上")
_PLAN_KINDS = ("工作谋划", "工作安排", "工作要点", "工作计划")


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
    return Period(year, plan)
