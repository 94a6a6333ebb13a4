"""Cited passages -> Evidence; a sentence -> the parts of it the evidence does not state.

Evidence is the normalised text (Traditional→Simplified, full-width folded) of the passages a
sentence cites, with what the prompt showed around them (committee, title, section), cut into
clauses, and each of its numbers with what it is said of (`Count`). A sentence is read clause by
clause (cut at ，；： and brackets; a "、" list stays one clause):

- Content: its content words (jieba; stopwords, question words and `_FREE` phrasing left out)
  must stand in the evidence, as written or through rag/data/synonyms.tsv. A clause whose
  words are less than half stated, or that holds a run of unstated words of 3 characters or
  more, is reported by its text: "“设立了全省首个委员之家”未见于来源". A single unstated word of
  two characters passes: models reword ("依托", "双双") as often as they invent.
- Polarity: a negation (未、没有、不、尚未、无…) or a comparison (超过、低于、增长、下降、提高、
  减少、首次…) must stand, with the word it bears on ("未达到": 达到), in a passage clause; and a
  sentence clause that drops the negation of the passage clause it restates is reported too
  ("委员要求已经十分严格" against "自身要求还不够严格").

Proper names are checked whole by rag.claims, and numbers by rag.verify; both are left out here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from rag.numbers import Quantity, quantities
from rag.records import Chunk
from rag.text import GENERIC_WORDS, STOPWORDS, normalize, segmenter

CLAUSE_BREAK = re.compile(r"[,，;；:：。！？!?()（）\[\]【】—\n]+")
_CJK_OR_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
# Phrasing a model adds without claiming anything: links, time frames, vague adverbs.
_FREE = frozenset(
    """达到 达 实现 为 是 均为 分别 共 共计 累计 合计 总计 总共 全年 一年 年度 其中 此外 另外 同时 以及 还 并 也 已 已经
    先后 有关 相关 主要 通过 进行 包括 具体 期间 当年 今年 该 此 这些 所 等 等等 共有 有 着 过 地 得 并且 而且 又 就
    曾 曾经 正 正在 仍 仍然 各 各类 各项 一些 多项 多个 积极 有效 进一步 不断 持续 深入 扎实 认真 全面 切实 大力
    用于 用来 认为 表示 指出 提到 据 报告 其他 另 及时 此次 本次 这 那 之 后 前 中 内 里 上 下 来 去 经 经过 将
    予以 给予 作出 做出 做好 方式 形式 内容""".split()
)
_NEGATION_CHARS = re.compile("[不未没无非]")
_PHRASING_ONE = re.compile(r"[一][个件项次批位名条篇家场]")  # "一篇文章", "一批": phrasing, not a count
NEGATIONS = frozenset("不 未 没 没有 尚未 并未 未能 从未 未曾 无 无法 不能 不够 不足 不再 不是 难以 没能 暂未 均未 仍未 未予 无一 不会 不得 并非 未经".split())
# Comparison and superlative words, grouped by what they say; a group member in the passage clause supports it.
_COMPARISONS = [
    frozenset("增长 增加 上升 提高 翻番 增多 高于 超过 多于 超出".split()),
    frozenset("下降 减少 降低 减弱 下滑 回落 低于 少于 不到 不足".split()),
    frozenset("同比 上年 去年 以往 往年".split()),
    frozenset("首次 首个 率先 第一 唯一 最高 历史新高".split()),
]
_COMPARISON_WORDS = frozenset().union(*_COMPARISONS)
_CONNECTIVE = re.compile(r"^(?:并且|而且|同时|此外|另外|但是|但|并|还|且|也|其中|不过|然而)")
MIN_CLAUSE_CHARS = 4  # content characters a clause needs before its support is weighed
MIN_RUN_CHARS = 3  # "国家级媒体" for "市级以上媒体": one unstated word of three characters is a claim


@dataclass(frozen=True, slots=True)
class Count:
    """A number of the passages, with what it is said of."""

    quantity: Quantity
    clause: str = ""  # its clause; "" for a number of the context (year, title, sections)
    before: str = ""  # the clause before it in the same sentence: "共收到问题60个" for "帮助解决30个"
    item: str = ""  # its item when the clause is a 、-list ("常委会会议4次"), else the clause
    rivals: tuple[str, ...] = ()  # the items of the other numbers of its passage with the same unit


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the passages a sentence cites say, normalised for matching."""

    where: str  # how the problems name it: "[1]", "[1][3]"
    chunks: tuple[Chunk, ...]
    text: str  # passages and their context, joined
    clauses: tuple[str, ...]  # the passages' clauses (context lines are clauses too)
    counts: tuple[Count, ...]


def evidence(cited: dict[int, Chunk]) -> Evidence:
    """The evidence of passages `cited` (citation number -> chunk)."""
    chunks = tuple(cited.values())
    bodies = [normalize(chunk.text) for chunk in chunks]
    context = [normalize(" ".join(filter(None, [c.committee, c.short_name, c.title, *c.headings]))) for c in chunks]
    clauses: list[str] = []
    counts: list[Count] = []
    for body in bodies:
        found = [item for sentence in re.split(r"(?<=[。！？!?;；\n])", body) for item in _read_sentence(sentence, clauses)]
        for q, clause, before, item in found:
            rivals = tuple(other for p, _, _, other in found if p.kind == q.kind and not p.same_value(q))
            counts.append(Count(q, clause, before, item, rivals))
    counts += [Count(q) for line in context for q in quantities(line)]
    counts += [Count(Quantity(f"{c.year}年", 0, 0, float(c.year), "年")) for c in chunks if c.year]
    return Evidence("".join(f"[{n}]" for n in cited), chunks, "\n".join(bodies + context), tuple(clauses + context), tuple(counts))


def _read_sentence(sentence: str, clauses: list[str]) -> list[tuple[Quantity, str, str, str]]:
    """The clauses of one passage sentence (added to `clauses`), and its numbers with their clause,
    the clause before and their 、-item."""
    found, before = [], ""
    for clause in re.split(r"[,，:：()（）。！？!?;；\n]+", sentence):
        if not clause:
            continue
        clauses.append(clause)
        found += [(q, clause, before, item if "、" in clause else clause) for item in clause.split("、") for q in quantities(item)]
        before = clause
    return found


@functools.cache
def _synonyms() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in (Path(__file__).parent / "data" / "synonyms.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            group = line.split()
            for word in group:
                table.setdefault(word, set()).update(group)
    return {word: frozenset(group) for word, group in table.items()}


def stated(word: str, text: str, synonyms: bool = True) -> bool:
    """`word` stands in `text`, as written, through a synonym, or as its parts ("政协提案" = 政协 + 提案)."""
    table = _synonyms() if synonyms else {}
    if word in text or any(other in text for other in table.get(word, ())):
        return True
    if len(word) < 3:
        return False
    parts = [p for p in segmenter().lcut_for_search(word) if 2 <= len(p) < len(word)]
    covered = set()
    for part in parts:
        if part in text or any(other in text for other in table.get(part, ())):
            start = word.find(part)
            covered.update(range(start, start + len(part)))
    return len(covered) == len(word) or all(word[i : i + 2] in text for i in range(len(word) - 1))


def tokens(text: str, guess: bool = False) -> list[tuple[str, int]]:
    """jieba words of normalised `text` with their offsets, whitespace left out.

    Dictionary words only unless `guess`: jieba's guessed words glue function words to their
    neighbours ("另有", "率为", "中未") and would hide a negation; rag.claims guesses, to find names.
    """
    found, at = [], 0
    for word in segmenter().lcut(text, HMM=guess):
        if word.strip():
            found.append((word, at))
        at += len(word)
    return found


def is_content(word: str) -> bool:
    return (
        bool(_CJK_OR_WORD.search(word)) and word not in STOPWORDS and word not in GENERIC_WORDS
        and word not in _FREE and not _PHRASING_ONE.fullmatch(word)
    )


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of normalised `text`."""
    spans, at = [], 0
    for match in CLAUSE_BREAK.finditer(text + "\n"):
        if match.start() > at:
            spans.append((at, match.start()))
        at = match.end()
    return spans


def unstated_parts(words: list[tuple[str, int]], span: tuple[int, int], ev: Evidence, skip) -> list[tuple[int, int]]:
    """Offsets of what a clause says that the evidence does not: the whole clause when less than
    half of its content is stated, else each run of unstated words of MIN_RUN_CHARS or more.

    `skip(word, at)` is true for words checked elsewhere (names, numbers, quoted terms)."""
    content = [(w, at) for w, at in words if span[0] <= at < span[1] and is_content(w) and not skip(w, at)]
    total = sum(len(w) for w, _ in content)
    if total < MIN_CLAUSE_CHARS:
        return []
    marks = [(w, at, stated(w, ev.text)) for w, at in content]
    if sum(len(w) for w, _, ok in marks if ok) * 2 < total:
        return [span]
    runs, run = [], []
    for w, at, ok in [*marks, ("", span[1], True)]:
        if not ok:
            run.append((w, at))
            continue
        if sum(len(x) for x, _ in run) >= MIN_RUN_CHARS:
            runs.append((run[0][1], run[-1][1] + len(run[-1][0])))
        run = []
    return runs


def shown(original: str, normalized: str, start: int, end: int) -> str:
    """The sentence's own words at normalised offsets (NFKC keeps the length of Chinese text), trimmed."""
    text = original[start:end] if len(original) == len(normalized) else normalized[start:end]
    return _CONNECTIVE.sub("", text.strip(" 、,，")) or text


def _holds(clause: str, group: frozenset[str], anchor: str) -> bool:
    """`clause` says a word of `group` about `anchor` (the word after it in the sentence)."""
    return (not anchor or stated(anchor, clause)) and any(w in group for w, _ in tokens(clause))


def polarity_problems(words: list[tuple[str, int]], span: tuple[int, int], ev: Evidence, skip) -> list[tuple[str, str]]:
    """(kind, passage clause) for what one sentence clause says with the wrong polarity: ("否定", "")
    and ("比较", "") for a negation or comparison no passage clause says of the same word, and
    ("去掉否定", clause) when it drops the negation of the passage clause it restates, ("相反", clause)
    when its negations and that clause's do not agree (one against two: "未撰写" for "没有未撰写")."""
    inside = [(w, at) for w, at in words if span[0] <= at < span[1] and _CJK_OR_WORD.search(w)]
    found = []
    for i, (word, at) in enumerate(inside):
        if skip(word, at) or (word not in NEGATIONS and word not in _COMPARISON_WORDS):
            continue
        group = NEGATIONS if word in NEGATIONS else next(g for g in _COMPARISONS if word in g)
        # The word it bears on: "未达到" → 达到, "较上年下降" → 下降; the last word of a clause bears on the one before.
        anchor = inside[i + 1][0] if i + 1 < len(inside) else (inside[i - 1][0] if i else "")
        if not any(_holds(c, group, anchor) for c in ev.clauses if any(g in c for g in group)):
            found.append(("否定" if word in NEGATIONS else "比较", ""))
    # Against the passage clause it restates, the negations must agree in number, two cancelling
    # out: "仍有个别委员未撰写" restates "没有未撰写…的委员" the other way round.
    negations = sum(w in NEGATIONS for w, _ in inside)
    restated = _restated([w for w, _ in inside], ev)
    if restated and negations % 2 != sum(w in NEGATIONS for w, _ in tokens(restated)) % 2:
        found.append(("去掉否定" if not negations else "相反", restated))
    return list(dict.fromkeys(found))


def polarity_words() -> frozenset[str]:
    return NEGATIONS | _COMPARISON_WORDS


def _restated(plain: list[str], ev: Evidence) -> str:
    """The negated passage clause this sentence clause restates (most of that clause's content is in
    it), or "". Only clauses holding a negation character are weighed: the others cannot be dropped."""
    content = [w for w in plain if len(w) >= 2 and is_content(w)]
    best, share = "", 0.0
    for clause in ev.clauses:
        if not _NEGATION_CHARS.search(clause):
            continue
        hits = sum(len(w) for w in content if w in clause)
        if hits < MIN_CLAUSE_CHARS:
            continue
        size = sum(len(w) for w, _ in tokens(clause) if len(w) >= 2 and is_content(w))
        if size and hits / size > share:
            best, share = clause, hits / size
    return best if share >= 0.6 else ""
