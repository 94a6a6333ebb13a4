"""A question file with gold evidence + a Retriever (and an answerer) -> Recall@k, MRR@10, abstention,
and answer-level scores, per question type.

The evidence rules are those of the shared scorers: a hit holds gold string g when, with all
whitespace removed, their longest common substring covers at least 70% of g; a quoted sentence
holds g when one contains the other or their longest common substring covers 70% of the
shorter. An answer is right when it does not decline and its quotes hold the gold (2/3 of the
gold strings for a question over several reports); a question without gold is right declined.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.errors import RagError
from rag.records import Answer
from rag.retrieve import Retriever

CUTOFFS = (1, 5, 10)
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    type: str
    gold: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


@dataclass(slots=True)
class Tally:
    """Sums for one row of the table (one question type, or all)."""

    answerable: int = 0
    unanswerable: int = 0
    found_at: dict[int, int] = field(default_factory=lambda: {k: 0 for k in CUTOFFS})
    reciprocal_rank: float = 0.0
    abstained_right: int = 0
    abstained_wrong: int = 0
    answered_right: int = 0
    declined_right: int = 0
    declined_wrong: int = 0

    def add_answer(self, question: Question, answer: Answer) -> None:
        if not question.answerable:
            self.declined_right += answer.abstained
            return
        self.declined_wrong += answer.abstained
        held = [g for g in question.gold if any(holds_quote(g, q.text) for q in answer.quotes)]
        # A question across reports needs 2/3 of its gold strings; any other, one of them.
        needed = 2 / 3 * len(question.gold) if question.type == "cross-doc" else 1
        self.answered_right += not answer.abstained and len(held) >= needed

    def add(self, question: Question, rank: int | None, abstain: bool) -> None:
        if not question.answerable:
            self.unanswerable += 1
            self.abstained_right += abstain
            return
        self.answerable += 1
        self.abstained_wrong += abstain
        for k in CUTOFFS:
            self.found_at[k] += rank is not None and rank <= k
        if rank is not None and rank <= max(CUTOFFS):
            self.reciprocal_rank += 1.0 / rank

    def row(self) -> dict[str, float | int | None]:
        n = self.answerable
        return {
            "n": n + self.unanswerable,
            **{f"R@{k}": (self.found_at[k] / n if n else None) for k in CUTOFFS},
            "MRR@10": self.reciprocal_rank / n if n else None,
            "abstain_ok": self.abstained_right / self.unanswerable if self.unanswerable else None,
            "false_abstain": self.abstained_wrong / n if n else None,
            "answer_ok": self.answered_right / n if n else None,
            "declined_ok": self.declined_right / self.unanswerable if self.unanswerable else None,
            "declined_wrong": self.declined_wrong / n if n else None,
        }


def read_questions(path: Path) -> list[Question]:
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [json.loads(line) for line in lines]
        return [Question(str(r["id"]), r["question"], r.get("type", "all"), tuple(r.get("gold", ()))) for r in rows]
    except FileNotFoundError:
        raise RagError(f"question file {path} not found") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise RagError(f"{path}: not a question file (one JSON object a line with id, question, gold): {exc}") from None


def holds_evidence(gold: str, text: str) -> bool:
    g, t = _WS.sub("", gold), _WS.sub("", text)
    if not g:
        return False
    match = difflib.SequenceMatcher(None, g, t, autojunk=False).find_longest_match(0, len(g), 0, len(t))
    return match.size >= 0.7 * len(g)


def holds_quote(gold: str, quote: str) -> bool:
    g, q = _WS.sub("", gold), _WS.sub("", quote)
    if not g or not q:
        return False
    if g in q or (len(q) >= 8 and q in g):
        return True
    match = difflib.SequenceMatcher(None, g, q, autojunk=False).find_longest_match(0, len(g), 0, len(q))
    return match.size >= 0.7 * min(len(g), len(q))


def evaluate(
    retriever: Retriever, questions: list[Question], ask: Callable[[str], Answer] | None = None
) -> dict[str, dict]:
    """Rows by question type, plus "all"; answer columns when `ask` (question -> Answer) is given."""
    tallies: dict[str, Tally] = {"all": Tally()}
    for question in questions:
        result = retriever.search(question.question, top_k=max(CUTOFFS))
        rank = next(
            (i for i, hit in enumerate(result.hits, 1) if any(holds_evidence(g, hit.chunk.text) for g in question.gold)),
            None,
        )
        answer = ask(question.question) if ask else None
        for key in ("all", question.type):
            tally = tallies.setdefault(key, Tally())
            tally.add(question, rank, result.abstain)
            if answer is not None:
                tally.add_answer(question, answer)
    return {key: tally.row() for key, tally in sorted(tallies.items(), key=lambda kv: kv[0] != "all")}


def format_table(rows: dict[str, dict]) -> str:
    columns = ["n", *(f"R@{k}" for k in CUTOFFS), "MRR@10", "abstain_ok", "false_abstain",
               "answer_ok", "declined_ok", "declined_wrong"]
    lines = ["| type | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for key, row in rows.items():
        cells = [_cell(row[c]) for c in columns]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "–"
    return str(value) if isinstance(value, int) else f"{value:.3f}"
