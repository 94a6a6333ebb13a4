"""How well the 专题概览 stays on its theme: precision and recall of its sentences against eval/overview_labels.jsonl.

    .venv/bin/python bench/overview_quality.py [--labels eval/overview_labels.jsonl] [--corpus corpus] [--index index] [--json]

The labelled set (written from the reports before any tuning, see eval/README.md "专题概览标注")
gives, for each theme × committee, the sentences a speechwriter would pick (`pick`, `plan_pick`)
and the other sentences that are on the theme (`also`, `plan_also`); `plan_*` are plans, not
results. A sentence the overview shows counts as on the theme when its span overlaps a labelled
span by at least half of the shorter of the two (labels may be clauses; our sentences may be cut
a little differently), so nothing depends on our sentence splitter.

- precision: shown sentences that are on the theme (any label) / shown sentences;
  strict precision counts only the picks;
- recall: picks overlapped by a shown sentence / picks;
- plan labels: of the shown sentences that are labelled, those shown as plans exactly when
  they are labelled plans;
- 未提及 cells: cells with no label at all whose row shows nothing (and says so).
All micro-averaged over the cells; deterministic for a given index.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "eval" / "overview_labels.jsonl"
KINDS = ("pick", "also", "plan_pick", "plan_also")
CELL_PRECISION, CELL_RECALL = 0.9, 0.8  # issue 14's bar, per theme × committee


@dataclass
class Tally:
    shown: int = 0
    on_theme: int = 0
    picked: int = 0  # shown sentences that are picks
    picks: int = 0
    found: int = 0  # picks shown
    labelled_shown: int = 0
    plan_right: int = 0
    empty_cells: int = 0
    empty_right: int = 0
    misses: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)
    cells: list[tuple[str, float, float]] = field(default_factory=list)  # theme·committee, precision, recall

    def add(self, other: "Tally") -> None:
        for name in ("shown", "on_theme", "picked", "picks", "found", "labelled_shown", "plan_right", "empty_cells", "empty_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses
        self.strays += other.strays
        self.cells += other.cells

    def numbers(self) -> dict:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 3) if b else 1.0

        return {
            "precision": ratio(self.on_theme, self.shown), "strict_precision": ratio(self.picked, self.shown),
            "recall": ratio(self.found, self.picks), "plan_labels": ratio(self.plan_right, self.labelled_shown),
            "empty_cells": f"{self.empty_right}/{self.empty_cells}", "shown": self.shown, "picks": self.picks,
        }


def read_labels(path: Path = LABELS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _spans(source: str, text: str) -> list[tuple[int, int]]:
    spans, at = [], source.find(text)
    while at >= 0:
        spans.append((at, at + len(text)))
        at = source.find(text, at + 1)
    if not spans:
        raise ValueError(f"label not in its report: {text[:40]}")
    return spans


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    common = min(a[1], b[1]) - max(a[0], b[0])
    return common > 0 and common * 2 >= min(a[1] - a[0], b[1] - b[0])


def score_cell(row, label: dict, source: str) -> Tally:
    """One theme × committee: the row the overview made against its labels (`source`: the report file's text)."""
    tally = Tally()
    labelled = [(kind, span) for kind in KINDS for text in label[kind] for span in _spans(source, text)]
    plans = {(e.start, e.end) for e in getattr(row, "plans", ())}
    shown = [*row.figures, *row.practices, *getattr(row, "plans", ())]
    where = f"{label['theme']}·{label['committee']}"
    for excerpt in shown:
        kinds = {kind for kind, span in labelled if _overlaps((excerpt.start, excerpt.end), span)}
        tally.shown += 1
        if kinds:
            tally.on_theme += 1
            tally.picked += bool(kinds & {"pick", "plan_pick"})
            tally.labelled_shown += 1
            is_plan = any(kind.startswith("plan") for kind in kinds)
            tally.plan_right += is_plan == ((excerpt.start, excerpt.end) in plans)
        else:
            tally.strays.append(f"{where}: {excerpt.text[:50]}")
    for kind in ("pick", "plan_pick"):
        for text in label[kind]:
            tally.picks += 1
            spans = _spans(source, text)
            if any(_overlaps((e.start, e.end), span) for e in shown for span in spans):
                tally.found += 1
            else:
                tally.misses.append(f"{where}: {text[:50]}")
    if not any(label[kind] for kind in KINDS):
        tally.empty_cells += 1
        tally.empty_right += not shown
    return tally


def score(topics, labels: list[dict], corpus: Path) -> dict[str, Tally]:
    """Tallies per theme and "all", scoring `topics.overview(theme)` for every labelled cell."""
    from rag.readers import read_text

    by_theme: dict[str, list[dict]] = defaultdict(list)
    for label in labels:
        by_theme[label["theme"]].append(label)
    tallies: dict[str, Tally] = {}
    total = Tally()
    for theme, cells in by_theme.items():
        rows = {row.short_name: row for row in topics.overview(theme).rows}
        tallies[theme] = Tally()
        for label in cells:
            row = rows[label["committee"]]
            source = read_text(corpus / row.reports[0].file)
            cell = score_cell(row, label, source)
            numbers = cell.numbers()
            cell.cells.append((f"{label['theme']}·{label['committee']}", numbers["precision"], numbers["recall"]))
            tallies[theme].add(cell)
        total.add(tallies[theme])
    tallies["all"] = total
    return tallies


def markdown(tallies: dict[str, Tally]) -> str:
    lines = ["| theme | shown | precision | strict precision | picks | recall | plan labels | 未提及 cells |",
             "|---|---|---|---|---|---|---|---|"]
    for theme, tally in tallies.items():
        n = tally.numbers()
        lines.append(f"| {theme} | {n['shown']} | {n['precision']:.3f} | {n['strict_precision']:.3f} | {n['picks']} | "
                     f"{n['recall']:.3f} | {n['plan_labels']:.3f} | {n['empty_cells']} |")
    cells = tallies["all"].cells
    short = [f"{name} (P {p:.2f}, R {r:.2f})" for name, p, r in cells if p < CELL_PRECISION or r < CELL_RECALL]
    lines.append(f"\nPer cell, each cell counted once: precision {statistics.mean(p for _, p, _ in cells):.3f}, "
                 f"recall {statistics.mean(r for _, _, r in cells):.3f} (a cell with nothing to find or show counts 1).")
    lines.append(f"Cells with precision ≥ {CELL_PRECISION} and recall ≥ {CELL_RECALL}: {len(cells) - len(short)} of {len(cells)}"
                 + (f"; below: {'; '.join(short)}" if short else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--json", action="store_true", help="the numbers as JSON, with the misses and strays")
    parser.add_argument("--verbose", action="store_true", help="list the picks missed and the off-theme sentences shown")
    args = parser.parse_args(argv)
    from rag.config import Settings, use_offline_defaults

    use_offline_defaults()
    from rag.assistant import Assistant

    topics = Assistant.open(args.corpus, args.index, Settings()).topics()
    tallies = score(topics, read_labels(args.labels), args.corpus)
    if args.json:
        print(json.dumps({theme: {**t.numbers(), "misses": t.misses, "strays": t.strays} for theme, t in tallies.items()},
                         ensure_ascii=False, indent=1))
        return 0
    print(markdown(tallies))
    if args.verbose:
        print("\nmissed picks:\n" + "\n".join(tallies["all"].misses))
        print("\noff-theme sentences shown:\n" + "\n".join(tallies["all"].strays))
    return 0


if __name__ == "__main__":
    sys.exit(main())
