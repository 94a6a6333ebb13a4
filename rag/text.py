"""Text rules, one of each: the matching view, tokens, stopwords, sentences, numbers and figures.

The matching view (Traditional→Simplified, full/half-width folded, jieba tokens) is used
only for matching: embedding input, BM25 tokens, keyword checks. What is shown and quoted
is always the original text.

Where earlier copies of a rule disagreed, the rule kept here is:
- A sentence ends after 。！？!?；; or at a line break (`sentence_spans`). A ；-clause is
  quoted on its own, so the verifier checks it on its own too, and a list item of a
  generated answer is a sentence even without final punctuation. An ellipsis does not end
  a sentence ("调研、座谈……形成报告" goes on); rag.ingest adds it only to tell prose
  lines from headings.
- A figure is a number that counts something (`figure_spans`; the answerer's figure
  questions and the overview both use it): "159件", "76.5%", "1400余万元", "十余次".
  Years, dates, ordinals (第32届), session numbers (十一届二次) and numerals that name
  things ("1+15+N", 两个维护) are numbers but not figures. The verifier compares every
  number written in digits (`numbers`), years included.
- Two word lists with two jobs: `STOPWORDS` are dropped from every token list (BM25,
  question terms); `GENERIC_WORDS` are question words that name no evidence, left out
  when a question's terms are weighed or checked against a report.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.records import Chunk

_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")

# Function words, punctuation and question words: dropping them keeps BM25 scores about
# the content words of a question.
STOPWORDS = frozenset(
    """的 了 和 与 及 在 是 有 对 把 将 为 以 等 中 上 下 这 那 哪 哪些 哪个 哪位 什么 怎么 怎样 如何
    多少 几 几个 几次 吗 呢 啊 吧 呀 来着 一共 共 分别 还 也 都 就 又 及其 或 个 次 件 年 月 日 该
    请问 请 给 我 我们 你 他们 其 之 所 被 从 到 于 由 向 方面 情况 哪里 哪儿 没有 有没有 是否 什么样 一支 一个 一本 叫 叫什么
    """.split()
)
# Words any question about these reports may use, which say what is asked or why but not
# about what: the institution, question words, the asker's purpose ("讲话稿", "举例"). A
# sentence holding them is no likelier to answer, and a report lacking them lacks no fact.
# A person's name starts with a family name; jieba's "nr" alone also tags 特邀, 洪泽.
FAMILY_NAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤闵晁"
    "纪常康施牛洪文庞樊兰殷葛季倪鲁柳翟凌欧耿关尚靳盛梅甘包宁祝于单车温项涂裴"
)

GENERIC_WORDS = frozenset(
    """政协 委员会 名字 名称 一共 总共 分别 具体 情况 主要 哪些 哪个 什么 多少 数字 数据 地方 哪些地方 这些 那些
    一年 今年 去年 全年 讲话 讲话稿 发言 发言稿 材料 引用 准备 需要 举例 例子 做法 经验 怎么 如何 开展 工作
    同志 机构 东西 事情 事儿 有没有 是不是 大概 大约 左右 一下 这件事 事上 这方面 这块 考虑 觉得 认为 打算""".split()
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


def to_simplified(text: str) -> str:
    """Traditional→Simplified (OpenCC t2s) alone: punctuation and figures stay as written, for text a reader sees."""
    return _t2s().convert(_SURROGATE.sub("\ufffd", text))


@functools.cache
def segmenter():
    """jieba, initialised once and silenced."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


@functools.lru_cache(maxsize=16384)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words of `text` with their part-of-speech tags. Kept: the same report sentences are
    read for question after question, and tagging (an HMM for unknown words) is the answerer's
    slowest step."""
    import jieba.posseg

    segmenter()
    return tuple((word.word, word.flag) for word in jieba.posseg.cut(text))


def tokenize(text: str) -> list[str]:
    """BM25 tokens of already normalised text: jieba words, lower-cased, stopwords and punctuation dropped."""
    words = segmenter().lcut_for_search(_SPACE.sub(" ", text).lower())
    return [w for w in words if w.strip() and w not in STOPWORDS and not _is_punct(w)]


def _is_punct(word: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in word)


def matching_text(chunk: Chunk) -> str:
    """What gets embedded and BM25-indexed: the chunk with its committee, year and headings in front.

    A paragraph often says "全年" or "委员" without naming its committee; prefixing the
    context lets "金湖县政协2023年…" match a paragraph that only says "县政协".
    """
    context = " ".join(filter(None, [chunk.short_name, f"{chunk.year}年" if chunk.year else "", *chunk.headings]))
    return normalize(f"{context}：{chunk.text}")


def is_mostly_english(text: str) -> bool:
    letters = sum(ch.isascii() and ch.isalpha() for ch in text)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return letters > 3 * cjk and letters >= 8


SENTENCE_END = "。！？!?；;"
_SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]+[{SENTENCE_END}]?")
_MIN_SENTENCE_CHARS = 6
_ENUMERATED_HEADING = re.compile(r"[一二三四五六七八九十]是[^，,；;：:。！？!?]{2,14}[。；;：:]?")
# "一是…。二是…；" enumerates inside one paragraph; rag.chunk files each chunk under its item.
ENUMERATOR = re.compile(rf"(?:^|(?<=[{SENTENCE_END}]))([一二三四五六七八九十]是[^{SENTENCE_END}]{{1,24}})[{SENTENCE_END}]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, cut after 。！？!?；; and at line breaks, stripped of whitespace.

    Used wherever a sentence is quoted, listed or checked (answers, the topic overview,
    the basket's check of stored quotes, the verifier), so that a sentence is the same
    slice everywhere. A second end mark ("？！") belongs to no sentence. Report paragraphs
    are single lines, so the line rule only ever cuts generated text.
    """
    spans = []
    for match in _SENTENCE.finditer(text):
        piece = match.group()
        stripped = piece.strip()
        if stripped:
            start = match.start() + len(piece) - len(piece.lstrip())
            spans.append((start, start + len(stripped)))
    return spans


def says_nothing(text: str, headings: tuple[str, ...]) -> bool:
    """A sentence too short to quote, or the run-in heading of its paragraph ("党建赋能增动力。"):
    it matches a question's words but says nothing."""
    if len(text) < _MIN_SENTENCE_CHARS or normalize(text.rstrip(SENTENCE_END)) in {normalize(h) for h in headings}:
        return True
    # "二是服务委员企业。" standing as a sentence heads the sentences after it, whatever the chunker made of it
    return _ENUMERATED_HEADING.fullmatch(text.strip()) is not None and not any(c.isdigit() for c in text)


YEAR = re.compile(r"(?:19|20)\d\d")
# An Arabic number as reports write it: digits (full-width too), "1,234", a decimal part,
# then "about" (余/多) and a scale (万/亿).
_ARABIC = r"(?P<digits>\d+(?:,\d{3}(?!\d))*(?:[.．]\d+)?)(?:\s*[余多餘])?(?:\s*(?P<scale>[万亿萬億]))?"
_SCALE = {"万": 10_000, "亿": 100_000_000, "萬": 10_000, "億": 100_000_000}
_NUMBER = re.compile(rf"{_ARABIC}(?:\s*(?P<percent>[%％]))?")
_PERCENT_WORDS = re.compile(r"百分之([\d.]+)")

_COUNTER = r"(?:场次|人次|万元|亿元|名|件|篇|项|家|场|次|批|条|期|位|个|人|所|座|户|元|場|個|項|條|億元|萬元)"
# Chinese numerals count only with a counting word ("十余次", "三家央企"); a lone 一 is
# phrasing ("一批", "一件提案"), not a count.
_FIGURE = re.compile(
    rf"{_ARABIC}(?:\s*[%％]|{_COUNTER})?"
    r"|百分之[零一二三四五六七八九十百点]+"
    rf"|(?:[一二三四五六七八九十两兩百千万萬]{{2,}}|[二三四五六七八九十两兩])(?:余|多|餘)?{_COUNTER}"
    # "六大创新项目", "五大工程": N major things, a count ("中共一大" is a name, and 一 is left out).
    r"|[二三四五六七八九十两兩]大(?=[\u4e00-\u9fff]{2})"
)
_NAMING = re.compile(r"“[^”]*”|「[^」]*」|《[^》]*》|\"[^\"]*\"")
_ORDINAL_BEFORE = "第届"
# Set phrases whose numeral is part of a name, not a count, when they are written unquoted.
_SET_PHRASES = re.compile(r"八项规定|两个确立|两个维护|四个意识|四个自信|四个全面|五位一体|[0-9一二三四五六七八九十百]+周年")


def figure_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each figure in `text`: a number that counts something (see the module docstring)."""
    folded = normalize(text)  # same length as `text` for CJK and digits; spans are checked against it
    if len(folded) != len(text):
        folded = text
    named = [m.span() for m in _NAMING.finditer(text)] + [m.span() for m in _SET_PHRASES.finditer(folded)]
    spans = []
    for match in _FIGURE.finditer(folded):
        start, end = match.span()
        before = folded[start - 1] if start else ""
        after = folded[end] if end < len(folded) else ""
        if (before and before in _ORDINAL_BEFORE) or any(a <= start and end <= b for a, b in named):
            continue
        if (YEAR.fullmatch(match.group()) and after == "年") or (after and after in "月日") or before == "月":
            continue
        spans.append((start, end))
    return spans


def has_figure(text: str) -> bool:
    return bool(figure_spans(text))


def numbers(text: str) -> list[tuple[str, set[float]]]:
    """Each Arabic number written in `text`, with the values it may stand for.

    Folds the ways reports write one value: full-width digits, 百分之15 / 15%,
    1400余万元 / 1400万 / 14000000, "1,234". A percentage stands only for itself, so
    76.5% matches a 76.5 that is a percentage in its source too. Numbers written in
    Chinese numerals (十余次, 百分之十五) are not read.
    """
    found = []
    for match in _NUMBER.finditer(_PERCENT_WORDS.sub(r"\1%", normalize(text))):
        base = float(match["digits"].replace(",", ""))
        values = {base}
        if match["scale"] and not match["percent"]:
            values.add(base * _SCALE[match["scale"]])
        found.append((match.group().strip(), values))
    return found
