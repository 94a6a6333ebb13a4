"""A generated answer + its numbered passages -> one SentenceCheck per sentence, with its problems in words.

A sentence (`rag.text.sentence_spans`: a ；-clause or a line is one too) is supported when it
carries at least one [n] marker, every marker names a passage that exists, and what it says
stands in the passages it cites:

- Numbers (rag.numbers), in any notation, as values: each must be a number of a cited passage
  with the same unit or counter, the same approximation ("30多次" supports "30余次" and
  "三十多次", not "30次": an exact claim needs an exact source, as the prompt's rule 3 asks),
  and said of the same thing (`_said_of_the_same`: "走访60个住宅小区" is not "收到问题60个",
  "主席会议4次" not "常委会会议4次"). The year of the report and the numbers of its title and
  sections count as stated.
- Names (rag.claims): committees, places, organisations, people, 《titles》, “quoted terms”.
- Content and polarity (rag.support): the clauses' words, negations and comparisons.

A sentence mostly in English is checked for citations and numbers only. Unsupported sentences
are kept and marked, not dropped: dropping a sentence can change what the rest means, and the
reader should see what the model claimed.
"""

from __future__ import annotations

import re

from rag.claims import is_proper, marked_spans, name_problems
from rag.numbers import Quantity, quantities
from rag.records import Chunk, SentenceCheck
from rag.support import Count, Evidence, clause_spans, evidence, is_content, polarity_problems, shown, stated, tokens, unstated_parts
from rag.text import is_mostly_english, normalize, sentence_spans

_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKER_RUN = re.compile(r"(?:\[\d{1,3}\])+")
_NO_CONTEXT_UNITS = {"年", "月", "日"}  # a date or year is the same whatever the clause says around it
_ANY_COUNT = frozenset("开展 组织 召开 举办 举行 进行 参加 参与 完成 实现 推动 推进 帮助 解决 共有 总计 达到".split())


def check_answer(text: str, passages: dict[int, Chunk]) -> tuple[SentenceCheck, ...]:
    """`passages`: citation number -> chunk, as numbered in the prompt."""
    checks = []
    known: dict[tuple[int, ...], Evidence] = {}  # sentences citing the same passages share their evidence
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if not _MARKER.sub("", sentence).strip(" 。，,；;：:\n"):
            continue
        checks.append(check_sentence(sentence, passages, known))
    return tuple(checks)


def check_sentence(sentence: str, passages: dict[int, Chunk], known: dict | None = None) -> SentenceCheck:
    parts = _cited_parts(sentence)
    if len(parts) > 1:
        # "金湖…19篇[4]，洪泽…7篇[2]": each part stands on the passages cited right after it, so a
        # fact of one committee cited to the other's passage is caught, as in a sentence of its own.
        checks = [check_sentence(part, passages, known) for part in parts]
        problems = tuple(dict.fromkeys(problem for check in checks for problem in check.problems))
        cited = tuple(n for check in checks for n in check.citations)
        return SentenceCheck(sentence, cited, supported=not problems, problems=problems)
    cited = tuple(int(n) for n in _MARKER.findall(sentence))
    problems = [] if cited else ["没有引用标注"]
    problems += [f"引用了[{n}]，但只有{len(passages)}段来源" for n in dict.fromkeys(cited) if n not in passages]
    present = tuple(n for n in dict.fromkeys(cited) if n in passages)
    if present:
        key = tuple(sorted(present))
        ev = (known or {}).get(key) or evidence({n: passages[n] for n in key})
        if known is not None:
            known[key] = ev
        uncited = {n: chunk for n, chunk in passages.items() if n not in present}
        problems += _claim_problems(_MARKER.sub("", sentence), ev, uncited)
    return SentenceCheck(sentence, cited, supported=not problems, problems=tuple(dict.fromkeys(problems)))


def _cited_parts(sentence: str) -> list[str]:
    """The sentence cut after each run of markers that has words before it: "A[1]，B[2]。" -> "A[1]", "，B[2]。"."""
    parts, start = [], 0
    for run in _MARKER_RUN.finditer(sentence):
        if _MARKER.sub("", sentence[start : run.start()]).strip(" 。，,；;：:\n"):
            parts.append(sentence[start : run.end()])
            start = run.end()
    if parts and start < len(sentence):
        parts[-1] += sentence[start:]
    return parts or [sentence]


def _claim_problems(plain: str, ev: Evidence, uncited: dict[int, Chunk]) -> list[str]:
    text = normalize(plain)
    found = quantities(text)
    if is_mostly_english(text):
        return number_problems(text, found, ev, [])
    blocked = marked_spans(text) + [(q.start, q.end) for q in found]
    # Numbers and quoted terms are checked whole: blanked, so that no word runs into them ("立案一").
    masked = "".join(" " if any(a <= i < b for a, b in blocked) else ch for i, ch in enumerate(text))
    words = tokens(masked)
    problems = number_problems(text, found, ev, words)
    problems += name_problems(text, masked, ev, uncited)
    skip = lambda word, at: is_proper(word)  # noqa: E731  names are rag.claims's
    for span in clause_spans(text):
        unstated = unstated_parts(words, span, ev, skip)
        problems += [f"“{shown(plain, text, start, end)}”未见于来源" for start, end in unstated]
        if span in unstated:
            continue  # a clause not in the sources at all is named once, as such
        for kind, restated in polarity_problems(words, span, ev, skip):
            if kind == "相反":
                problems.append(f"与来源意思相反：{ev.where}说的是“{restated}”")
            elif restated:
                problems.append(f"否定说法被去掉：{ev.where}说的是“{restated}”")
            else:
                problems.append(f"{kind}说法“{shown(plain, text, *span)}”：{ev.where}没有这样说")
    return problems


def number_problems(text: str, found: list[Quantity], ev: Evidence, words: list[tuple[str, int]]) -> list[str]:
    """Each number of normalised `text` that no number of the evidence states the same way of the same thing."""
    problems = []
    for claim in found:
        same = [c for c in ev.counts if claim.same_value(c.quantity) and (claim.unit == "%") == (c.quantity.unit == "%")]
        same.sort(key=lambda c: c.quantity.kind != claim.kind)  # name the source's number of the same unit first
        agreeing = [c for c in same if claim.agrees(c.quantity)]
        if not same:
            problems.append(f"数字“{claim.written}”不在{ev.where}中")
        elif not agreeing:
            problems.append(f"数字“{claim.written}”在{ev.where}中是“{same[0].quantity.written}”")
        elif not any(_said_of_the_same(claim, text, count, words, found) for count in agreeing):
            problems.append(f"数字“{claim.written}”在{ev.where}中说的是“{agreeing[0].item}”")
    return problems


def _said_of_the_same(claim: Quantity, text: str, count: Count, words: list[tuple[str, int]], found: list[Quantity]) -> bool:
    """The sentence says `claim` of what the passage's `count` counts.

    Not when another number of the passage's sentence is said of words of the sentence that the
    count's own item lacks ("主席会议4次" against "常委会会议4次、主席会议21次"). Else when the
    clauses share a word (synonyms count) or a quoted title, verbs any count goes with (开展, 组织,
    解决…) aside: "组织重点协商活动15次" is not "开展…专题调研15次"; or when such a verb stands as
    written in the passage clause and the sentence's other words in the clause before it:
    "帮助解决问题30个" for "共收到问题60个,帮助解决30个" (but not "收到问题30个").
    """
    if not count.clause or not words or claim.ordinal or claim.unit in _NO_CONTEXT_UNITS:
        return True
    start, end = _around(text, claim.start, clause_spans(text))
    own = [(w, at) for w, at in words if start <= at < end and len(w) >= 2 and is_content(w)]
    # The sentence's words about this number: its 、-item, and no further than the numbers either side.
    first, last = _around(text, claim.start, _items(text, start, end))
    first = max([first] + [q.end for q in found if q.end <= claim.start])
    last = min([last] + [q.start for q in found if q.start >= claim.end])
    item = [w for w, at in own if first <= at < last]
    fit = lambda part: sum(len(w) for w in item if stated(w, part))  # noqa: E731
    if count.rivals and max(map(fit, count.rivals)) > fit(count.item):
        return False
    content = [w for w, _ in own if w not in _ANY_COUNT and not is_proper(w)]
    content += [text[a + 1 : b - 1] for a, b in marked_spans(text) if start <= a < end]
    if not content or any(stated(w, count.clause) for w in content):
        return True
    verbs = [w for w, _ in own if w in _ANY_COUNT]
    return any(v in count.clause for v in verbs) and all(stated(w, f"{count.before} {count.clause}") for w in content)


def _around(text: str, at: int, spans: list[tuple[int, int]]) -> tuple[int, int]:
    return next(((a, b) for a, b in spans if a <= at < b), (0, len(text)))


def _items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The 、-items of text[start:end]."""
    items, at = [], start
    for i in range(start, end + 1):
        if i == end or text[i] == "、":
            items.append((at, i))
            at = i + 1
    return items
