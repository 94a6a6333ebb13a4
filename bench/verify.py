"""The sentence checker of generated answers (rag.verify) on eval/verifier/sentences.jsonl.

Reports, for "unverified" as the positive class: precision and recall overall; per fabrication
kind, recall, how often the problem named is of that kind, and the precision of problems of that
kind (the share of sentences given one that are fabricated, any kind); the share of faithful
sentences marked per rule that made them, and the time check_answer adds per answer (p50/p95
over answers of 5 sentences, each checked once with the libraries loaded; wall-clock and CPU time).

    .venv/bin/python bench/verify.py [SENTENCES.jsonl] [--misses]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.records import Chunk  # noqa: E402
from rag.verify import check_answer  # noqa: E402

SENTENCES = ROOT / "eval" / "verifier" / "sentences.jsonl"
KINDS = ("number", "clause", "committee", "polarity", "entity", "citation")
ANSWER_SIZE = 5
# What each kind of problem message starts with or says (rag.verify writes them).
_NAMED = {
    "number": re.compile(r"^数字"),
    "committee": re.compile(r"^(?:委员会|地名|名称)"),  # a bare place ("洪泽…") is reported as a name
    "entity": re.compile(r"^(?:名称|书名|提法)"),
    "polarity": re.compile(r"^(?:否定|比较)|否定说法"),
    "clause": re.compile(r"^“.*”未见于"),
    "citation": re.compile(r"引用"),
}


def load(path: Path = SENTENCES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def chunk(p: dict) -> Chunk:
    return Chunk("bench", p["report_id"], p["doc"], p["committee"], p["short_name"], p["title"], p["year"], p["kind"],
                 tuple(p["headings"]), p["paragraph"], p["start"], p["end"], p["text"])


def passages(item: dict) -> dict[int, Chunk]:
    return {int(n): chunk(p) for n, p in item["passages"].items()}


def check(item: dict):
    checks = check_answer(item["sentence"], passages(item))
    return checks, any(not c.supported for c in checks)


def score(items: list[dict]) -> dict:
    """Counts and rates; `misses` lists the items judged wrongly, with the problems named."""
    flagged_faithful, faithful = Counter(), Counter()
    caught, named, total = Counter(), Counter(), Counter()
    by_rule, caught_by_rule = Counter(), Counter()
    raised = Counter()  # items, faithful ones included, with a problem named as each kind
    raised_right = Counter()  # ... of which fabricated
    misses = []
    for item in items:
        checks, flagged = check(item)
        problems = [p for c in checks for p in c.problems]
        for kind, pattern in _NAMED.items():
            if any(pattern.search(p) for p in problems):
                raised[kind] += 1
                raised_right[kind] += item["label"] == "fabricated"
        if item["label"] == "faithful":
            faithful[item["rule"]] += 1
            flagged_faithful[item["rule"]] += flagged
            if flagged:
                misses.append((item, problems))
        else:
            kind = item["kind"]
            total[kind] += 1
            caught[kind] += flagged
            by_rule[item["rule"]] += 1
            caught_by_rule[item["rule"]] += flagged
            named[kind] += any(_NAMED[kind].search(p) for p in problems)
            if not flagged:
                misses.append((item, problems))
    tp, fp = sum(caught.values()), sum(flagged_faithful.values())
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / sum(total.values()),
        "faithful_flagged": fp / sum(faithful.values()),
        "kinds": {
            k: (total[k], caught[k] / total[k], named[k] / total[k], raised_right[k] / raised[k] if raised[k] else 1.0)
            for k in KINDS if total[k]
        },
        "rules": {r: (faithful[r], flagged_faithful[r] / faithful[r]) for r in sorted(faithful)},
        "fabrication_rules": {r: (by_rule[r], caught_by_rule[r] / by_rule[r]) for r in sorted(by_rule)},
        "n_fabricated": sum(total.values()), "n_faithful": sum(faithful.values()),
        "misses": misses,
    }


def answers(items: list[dict], size: int = ANSWER_SIZE) -> list[tuple[str, dict[int, Chunk]]]:
    """Items grouped into answers of `size` sentences; each item's passages renumbered after the previous ones'."""
    grouped = []
    for at in range(0, len(items), size):
        text, given = [], {}
        for item in items[at : at + size]:
            offset = len(given)
            for n, c in passages(item).items():
                given[n + offset] = c
            known = set(passages(item))
            text.append(re.sub(r"\[(\d{1,3})\]", lambda m: f"[{int(m[1]) + offset}]" if int(m[1]) in known else m[0], item["sentence"]))
        grouped.append(("".join(text), given))
    return grouped


def timing(items: list[dict]) -> dict[str, tuple[float, float]]:
    """(p50, p95) milliseconds of check_answer per answer, each answer checked once after a warm-up:
    "wall" as a user waits for it, "cpu" as this thread spent (what other processes on a shared
    machine do not change much; the check is single-threaded Python, so on an idle machine they agree)."""
    check_answer("金湖县政协提案立案159件[1]。", passages(items[0]))  # loads jieba and OpenCC
    wall, cpu = [], []
    for text, given in answers(items):
        start, start_cpu = time.perf_counter(), time.thread_time()
        check_answer(text, given)
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return {"wall": _p50_p95(wall), "cpu": _p50_p95(cpu)}


def _p50_p95(seconds: list[float]) -> tuple[float, float]:
    seconds = sorted(seconds)
    return seconds[len(seconds) // 2] * 1000, seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))] * 1000


def table(result: dict, times: dict[str, tuple[float, float]]) -> str:
    lines = [
        f"{result['n_fabricated']} fabricated and {result['n_faithful']} faithful sentences over the six reports of corpus/",
        "",
        "| measure | value |", "|---|---|",
        f"| precision of “unverified” | {result['precision']:.3f} |",
        f"| recall of “unverified” (fabrications caught) | {result['recall']:.3f} |",
        f"| faithful sentences marked unverified | {result['faithful_flagged']:.3f} |",
        *(f"| check time per answer of {ANSWER_SIZE} sentences, {how}, p50 / p95 | {p50:.1f} / {p95:.1f} ms |"
          for how, (p50, p95) in times.items()),
        "", "| fabrication kind | n | caught (recall) | problem named as this kind | precision of this kind's problems |",
        "|---|---|---|---|---|",
        *(f"| {k} | {n} | {c:.3f} | {m:.3f} | {p:.3f} |" for k, (n, c, m, p) in result["kinds"].items()),
        "", "| faithful rule | n | marked unverified |", "|---|---|---|",
        *(f"| {r} | {n} | {f:.3f} |" for r, (n, f) in result["rules"].items()),
        "", "| fabrication rule | n | caught |", "|---|---|---|",
        *(f"| {r} | {n} | {c:.3f} |" for r, (n, c) in result["fabrication_rules"].items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sentences", nargs="?", type=Path, default=SENTENCES)
    parser.add_argument("--misses", action="store_true", help="list the sentences judged wrongly")
    args = parser.parse_args(argv)
    items = load(args.sentences)
    result = score(items)
    print(table(result, timing(items)))
    if args.misses:
        by_kind = defaultdict(list)
        for item, problems in result["misses"]:
            by_kind[item["kind"]].append((item, problems))
        for kind, rows in by_kind.items():
            print(f"\n## missed: {kind} ({len(rows)})")
            for item, problems in rows:
                print(f"- {item['id']} {item['rule']}: {item['sentence']}  {problems}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
