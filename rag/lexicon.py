"""What words mean here: the English glossary of CPPCC terms, and place names before 政协."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from rag.text import segmenter

_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@functools.cache
def _glossary() -> dict[tuple[str, ...], tuple[str, ...]]:
    table = {}
    for line in (Path(__file__).parent / "data" / "en_zh.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            english, chinese = line.split("\t")
            key = tuple(_stem(w) for w in _WORDS.findall(english.lower()))
            table[key] = tuple(dict.fromkeys(table.get(key, ()) + tuple(chinese.split())))  # "visit"/"visits" merge
    return table


def _stem(word: str) -> str:
    """A crude English stem, applied to glossary and question alike: "filed", "files", "filing" all meet "file".

    Only needs to be consistent, not linguistic; collisions are harmless because a
    stem that meets no glossary entry is ignored.
    """
    word = word.removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word.removesuffix("e")


def chinese_terms_for_english(text: str) -> list[str]:
    """Chinese report vocabulary for the English words of a question (longest phrase first).

    The bundled e5 model matches English questions to Chinese passages poorly, and BM25
    not at all; a glossary of CPPCC terms (rag/data/en_zh.tsv) bridges both.
    """
    return list(dict.fromkeys(term for group in english_term_groups(text) for term in group))


def english_term_groups(text: str) -> list[tuple[str, ...]]:
    """One group of Chinese alternatives per English phrase of `text`: a sentence holding any
    one of them says what the phrase says ("proposal" → 提案; "visit" → 走访 视察 考察)."""
    words = [_stem(w) for w in _WORDS.findall(text.lower())]
    glossary = _glossary()
    longest = max((len(k) for k in glossary), default=1)
    groups: list[tuple[str, ...]] = []
    at = 0
    while at < len(words):
        for size in range(min(longest, len(words) - at), 0, -1):
            found = glossary.get(tuple(words[at : at + size]))
            if found:
                groups.append(found)
                at += size
                break
        else:
            at += 1
    return groups


@functools.cache
def _register() -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for line in (Path(__file__).parent / "data" / "register.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            everyday, official = line.split("\t")
            rows.append((everyday, tuple(official.split())))
    return sorted(rows, key=lambda row: -len(row[0]))


def official_wording(normalized: str) -> list[tuple[str, tuple[str, ...]]]:
    """(everyday phrase, the reports' words for it) for each phrase of rag/data/register.tsv in a
    normalised question: "拉投资" → 招商引资 招商 引资. Reports are written in an official register
    that askers rarely use; the table holds only that register's common pairs, not synonyms at large."""
    found, taken = [], normalized
    for everyday, official in _register():
        if everyday in taken:
            found.append((everyday, official))
            taken = taken.replace(everyday, " ")
    return found


def places_before_committee(text: str) -> list[str]:
    """Place names (jieba's "ns") written right before 政协 without 市/县/区: "南京政协", "盱眙政协"."""
    import jieba.posseg

    segmenter()
    words = list(jieba.posseg.cut(text))
    return [
        word.word
        for word, after in zip(words, words[1:])
        if word.flag == "ns" and len(word.word) >= 2 and after.word.startswith("政协")
    ]
