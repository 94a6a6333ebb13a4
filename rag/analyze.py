"""The matching view of text: Traditional→Simplified, full/half-width folded, jieba tokens.

Only matching (embedding input, BM25 tokens, keyword checks) uses this view;
what is shown and quoted is always the original text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Punctuation and question words carry no evidence; dropping them keeps BM25 scores
# about the content words of a question.
_STOPWORDS = frozenset(
    """的 了 和 与 及 在 是 有 对 把 将 为 以 等 中 上 下 这 那 哪 哪些 哪个 哪位 什么 怎么 怎样 如何
    多少 几 几个 几次 吗 呢 啊 吧 呀 来着 一共 共 分别 还 也 都 就 又 及其 或 个 次 件 年 月 日 该
    请问 请 给 我 我们 你 他们 其 之 所 被 从 到 于 由 向 方面 情况 哪里 哪儿 没有 有没有 是否 什么样 一支 一个 一本 叫 叫什么
    """.split()
)


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation to half-width), then Traditional→Simplified.

    A lone surrogate (half an emoji cut off by a browser, an undecodable command-line byte)
    becomes U+FFFD: OpenCC takes only valid UTF-8 and would raise on it.
    """
    folded = _SURROGATE.sub("\ufffd", unicodedata.normalize("NFKC", text))
    return _t2s().convert(folded)


@functools.cache
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """BM25 tokens of already normalised text: jieba words, lower-cased, stopwords and punctuation dropped."""
    words = _jieba().lcut_for_search(_SPACE.sub(" ", text).lower())
    return [w for w in words if w.strip() and w not in _STOPWORDS and not _is_punct(w)]


def _is_punct(word: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in word)


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


_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def chinese_terms_for_english(text: str) -> list[str]:
    """Chinese report vocabulary for the English words of a question (longest phrase first).

    The bundled e5 model matches English questions to Chinese passages poorly, and BM25
    not at all; a glossary of CPPCC terms (rag/data/en_zh.tsv) bridges both.
    """
    words = [_stem(w) for w in _WORDS.findall(text.lower())]
    glossary = _glossary()
    longest = max((len(k) for k in glossary), default=1)
    terms: list[str] = []
    at = 0
    while at < len(words):
        for size in range(min(longest, len(words) - at), 0, -1):
            found = glossary.get(tuple(words[at : at + size]))
            if found:
                terms.extend(found)
                at += size
                break
        else:
            at += 1
    return list(dict.fromkeys(terms))


def is_mostly_english(text: str) -> bool:
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * cjk and letters >= 8


def places_before_committee(text: str) -> list[str]:
    """Place names (jieba's "ns") written right before 政协 without 市/县/区: "南京政协", "盱眙政协"."""
    import jieba.posseg

    _jieba()
    words = list(jieba.posseg.cut(text))
    return [
        word.word
        for word, after in zip(words, words[1:])
        if word.flag == "ns" and len(word.word) >= 2 and after.word.startswith("政协")
    ]
