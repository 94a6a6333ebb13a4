"""Traditional pages read by a recogniser that knows mostly Simplified characters.

PP-OCRv4's dictionary of 6,625 characters holds the Simplified ones and a few hundred
Traditional ones. On a page printed in Traditional characters it reads a Traditional character
it lacks as the Simplified form (鎮 -> 镇) or, as often, drops it, leaving a gap of one
character between the two it read (協商[議]政), or reads a look-alike it knows (兩 -> 雨). These
are set right here, for the whole document
at once (a last page of two lines says little of its script):

- The document is Traditional when the Traditional-only characters read in it outnumber the
  Simplified-only ones; on a Simplified page there are none.
- A character read where the recogniser's runner-up in the same column is a character of either
  script's own (兩 behind 雨 at 0.48, 责 behind 青 at 0.31) is replaced by it when jieba's words
  around prefer it clearly ("两个" over "雨个"); a character both scripts share says nothing.
  The same goes for the look-alikes the recogniser reads for the Traditional characters it
  lacks (黛 for 黨, 繁 for 繫, 裔 for 奮): scripts/make_lookalikes.py asked the recogniser
  itself, on those characters typeset in a CJK font, and rag/data/ocr_lookalikes.tsv keeps
  what it read.
- A gap of about one character's advance between two characters read on a line (the recogniser
  says where along the line it read each) is filled from a lexicon: jieba's dictionary of
  350,000 words with their frequencies, and the words of CPPCC reports it lacks or underrates
  (协商议事, 履职: those of this product's own tables in rag/data) at a common word's count. The candidates are the characters whose Traditional form
  the recogniser cannot read (only those can vanish this way); the one with which the stretch
  around reads likeliest as words is taken when it is clearly the likeliest, else the gap is left.
- What was read is turned into Traditional characters by OpenCC, phrase by phrase, with the
  Taiwan standard forms (眾, 群, 裡: what Traditional documents use, not OpenCC's own 衆, 羣, 裏).
  A character read as itself and valid in Traditional text too (周, 干, 于, 系: among Big5's
  frequent characters) is kept: the page printed what was read, though OpenCC writes 週 for 周
  in "每周". 党, in Big5 only as a rare surname, is 黨 read as its Simplified form.

Measured on three Traditional scans (bench/ocr.py's of corpus/004, and two reports turned into
Traditional by OpenCC and scanned the same way, written after the rules): see bench/README.md.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from pathlib import Path

from rag.readers.ocr_lines import Box, ideograph, ideograph_advance
from rag.text import segmenter

# Where two characters were read this many of the line's character advances apart, or more,
# one was dropped between them (read side by side they are 1.0 apart; on bench/ocr.py's scans
# every dropped character left 1.67-2.4).
GAP_EMS = 1.5
# A gap this wide or wider held more than one character, or a space: left alone.
WIDE_GAP_EMS = 2.6
# The likeliest filler must be this many times as likely as the next one.
CLEAR_LEAD = 2.0
FILLER_CANDIDATES = 40  # the characters the bigrams beside a gap attest best, weighed as words
SMOOTHING = 0.001
# A runner-up the recogniser scored this high or higher is weighed against what it read (兩 at
# 0.48 behind 雨, 责 at 0.31 behind 青 on bench/ocr.py's scans of 004) ...
RUNNER_SCORE = 0.1
# ... and taken when the words around prefer it this many times over.
RUNNER_LEAD = 5.0
PAIR_WEIGHT = 0.9  # of a pair's own count against its second character's frequency
# A word of CPPCC reports counts as often as this in the lexicon at least (set before measuring:
# about a common word's count in jieba's dictionary, where 议事 has 1,840 and 履职 24).
DOMAIN_COUNT = 1000.0
_DATA = Path(__file__).resolve().parent.parent / "data"


def in_document_script(pages: list[list[Box]]) -> list[list[Box]]:
    """Each page's boxes, with a Traditional document's dropped characters filled and its
    Simplified readings turned back; a Simplified document as it was read."""
    chars = "".join(box.text for boxes in pages for box in boxes)
    traditional = sum(1 for char in chars if _to_simplified(char) != char)
    simplified = sum(1 for char in chars if _to_traditional(char) != char and not _also_traditional(char))
    if traditional <= simplified:
        return pages
    return [[_traditional_box(box) for box in boxes] for boxes in pages]


def _traditional_box(box: Box) -> Box:
    text, places = _filled(_runners_taken(box.text, box.runners), box.places)
    converted = _opencc("s2tw").convert(text)
    if len(converted) != len(text):
        return Box(box.corners, converted, box.score)
    kept = "".join(read if _also_traditional(read) else new for read, new in zip(text, converted))
    return Box(box.corners, kept, box.score, places)


def _runners_taken(text: str, runners: tuple[tuple[str, float], ...]) -> str:
    """`text` with a character replaced by the recogniser's runner-up where that one is a
    character of either script's own (兩, 责) scored `RUNNER_SCORE` or more, or by a look-alike
    the recogniser reads so (黛 -> 黨), and the words on both sides prefer it by `RUNNER_LEAD`
    ("两个" over "雨个", "党组" over "黛组")."""
    if len(runners) != len(text):
        runners = (("", 0.0),) * len(text)  # read without them: the look-alikes still count
    chars = list(text)
    for i, (runner, score) in enumerate(runners):
        if not ideograph(chars[i]):
            continue
        others = list(lookalikes().get(chars[i], ()))
        if score >= RUNNER_SCORE and ideograph(runner) and not (_to_simplified(runner) == runner == _to_traditional(runner)):
            others.append(runner)  # a character both scripts share: the page's script says nothing for it
        # A mark or digit beside it says nothing of the word: the other side decides ("盡责,").
        before = _to_simplified(chars[i - 1]) if i and ideograph(chars[i - 1]) else ""
        after = _to_simplified(chars[i + 1]) if i + 1 < len(chars) and ideograph(chars[i + 1]) else ""
        read = _to_simplified(chars[i])
        fits = {other: _pair_fit(before, _to_simplified(other), after) for other in others if _to_simplified(other) != read}
        if fits and max(fits.values()) > RUNNER_LEAD * _pair_fit(before, read, after):
            chars[i] = max(fits, key=fits.get)
    return "".join(chars)


@functools.cache
def lookalikes() -> dict[str, tuple[str, ...]]:
    """A reading -> the Traditional characters the recogniser lacks that it reads so (黛 -> 黨),
    from rag/data/ocr_lookalikes.tsv (scripts/make_lookalikes.py asked the recogniser)."""
    table = {}
    for line in (_DATA / "ocr_lookalikes.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            read, meant = line.split("\t")
            table[read] = tuple(meant.split())
    return table


def _pair_fit(before: str, char: str, after: str) -> float:
    """P(char | before) * P(after | char) by the character pairs of jieba's words, each
    interpolated with the single characters' frequency, so that an unseen pair is rare, not impossible."""
    counts = _pair_counts()
    total = counts[""]

    def given(first: str, second: str) -> float:
        pair = counts.get(first + second, 0.0) / counts[first] if counts.get(first) else 0.0
        return PAIR_WEIGHT * pair + (1 - PAIR_WEIGHT) * counts.get(second, 0.0) / total

    return (given(before, char) if before else counts.get(char, 0.0) / total) * (given(char, after) if after else 1.0)


@functools.cache
def _pair_counts() -> dict[str, float]:
    """Every character and every pair of characters in jieba's words, counted by the words'
    frequency; "" counts all characters."""
    counts: dict[str, float] = defaultdict(float)
    for word, count in _lexicon():
        for i, char in enumerate(word):
            counts[char] += count
            counts[""] += count
            if i:
                counts[word[i - 1 : i + 1]] += count
    return dict(counts)


def _lexicon():
    """(word, frequency) of each entry of jieba's dictionary, 350,000 words in Simplified script,
    with the words of CPPCC reports it lacks or underrates (`_domain_words`) at `DOMAIN_COUNT`."""
    import jieba

    domain = _domain_words()
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as lexicon:
        for line in lexicon:
            word, count, *_ = line.split()
            yield word, max(float(count), DOMAIN_COUNT) if word in domain else float(count)
    yield from ((word, DOMAIN_COUNT) for word in domain - _general_words())


@functools.cache
def _domain_words() -> frozenset[str]:
    """The Chinese words of this product's own tables of CPPCC wording (rag/data: the register of
    everyday and official words, the synonyms, the English glossary): 协商议事, 社情民意, 建言献策."""
    import re

    words = set()
    for name in ("register.tsv", "synonyms.tsv", "en_zh.tsv"):
        for line in (_DATA / name).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                words.update(re.findall(r"[\u4e00-\u9fff]{2,}", line))
    return frozenset(words)


@functools.cache
def _general_words() -> frozenset[str]:
    import jieba

    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as lexicon:
        return frozenset(line.split(" ", 1)[0] for line in lexicon)


@functools.cache
def _tokenizer():
    """A jieba of its own for `_as_words`, knowing the domain words: the one the index uses is left as it is."""
    import jieba

    segmenter()  # jieba silenced
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in _domain_words():
        if tokenizer.FREQ.get(word, 0) < DOMAIN_COUNT:
            tokenizer.add_word(word, DOMAIN_COUNT)
    return tokenizer


def _filled(text: str, places: tuple[float, ...]) -> tuple[str, tuple[float, ...]]:
    """`text` with a character put into each one-character gap the lexicon can fill."""
    em = ideograph_advance(text, places)
    if em is None:
        return text, places
    chars, at = list(text), list(places)
    for i in reversed(range(len(text) - 1)):
        step = (places[i + 1] - places[i]) / em
        if not GAP_EMS <= step < WIDE_GAP_EMS or not (ideograph(text[i]) or ideograph(text[i + 1])):
            continue
        # A digit or mark beside the gap says nothing of the word: the other side decides ("建[議]156條").
        before = _simplified(text[max(0, i - 1) : i + 1]) if ideograph(text[i]) else ""
        after = _simplified(text[i + 1 : i + 3]) if ideograph(text[i + 1]) else ""
        filler = best_filler(before, after)
        if filler:
            chars.insert(i + 1, filler)
            at.insert(i + 1, (places[i] + places[i + 1]) / 2)
    return "".join(chars), tuple(at)


def best_filler(before: str, after: str) -> str | None:
    """The character that most likely stood between `before` and `after` (Simplified text read
    either side of a gap), among those whose Traditional form the recogniser cannot read; None
    when none is clearly likeliest.

    The candidates the characters beside the gap attest (`_fit`: a character bigram model of
    jieba's words) are weighed by how well the whole stretch then reads as words: jieba's best
    segmentation of before + x + after, each word at its frequency. "团结?斗" is 团结/奋斗, though
    "结战" and "战斗" are pairs too.
    """
    attested = sorted(((_fit(before, char, after), char) for char in _vanishing()), reverse=True)[:FILLER_CANDIDATES]
    ranked = sorted(((math.log(fit) + _as_words(before + char + after), char) for fit, char in attested if fit > 0), reverse=True)[:2]
    if not ranked or (len(ranked) == 2 and ranked[0][0] - ranked[1][0] < math.log(CLEAR_LEAD)):
        return None
    return ranked[0][1]


def _as_words(text: str) -> float:
    """The log-probability of the likeliest segmentation of `text` into the lexicon's words."""
    tokenizer = _tokenizer()
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(text, tokenizer.get_DAG(text), route)
    return route[0][0]


def _fit(before: str, char: str, after: str) -> float:
    """How well `char` fits between `before` and `after`: 0 unless words hold it beside both."""
    counts = _counts()
    total = counts.get(char, 0)
    if not total:
        return 0.0
    left = counts.get(before[-1:] + char, 0) + counts.get(before[-2:] + char, 0) if before else 0
    right = counts.get(char + after[:1], 0) + counts.get(char + after[:2], 0) if after else 0
    # A side that no word attests still lets the other decide, at the character's share of it.
    return (left + SMOOTHING * total) * (right + SMOOTHING * total) / total


@functools.cache
def _counts() -> dict[str, float]:
    """Each character that can vanish, with the one or two characters before it and after it in
    jieba's words, counted by the frequency of the words."""
    vanishing = _vanishing()
    counts: dict[str, float] = defaultdict(float)
    for word, count in _lexicon():
        for i, char in enumerate(word):
            if char in vanishing:  # only the n-grams `_fit` asks for
                for gram in {char, word[max(0, i - 2) : i + 1], word[max(0, i - 1) : i + 1], word[i : i + 2], word[i : i + 3]}:
                    counts[gram] += count
    return dict(counts)


@functools.cache
def _vanishing() -> frozenset[str]:
    """Simplified characters whose Traditional form is missing from the recogniser's dictionary."""
    known = recogniser_characters()
    chars = {char for word, _ in _lexicon() for char in word}
    return frozenset(c for c in chars if ideograph(c) and (t := _to_traditional(c)) != c and t not in known)


@functools.cache
def recogniser_characters() -> frozenset[str]:
    """The characters PP-OCRv4's recogniser can write: its dictionary, kept in the model's metadata."""
    import onnxruntime
    import rapidocr_onnxruntime

    model = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return frozenset(session.get_modelmeta().custom_metadata_map["character"].splitlines())


def _also_traditional(char: str) -> bool:
    """Whether `char` is written in Traditional text too (周, 干, 于, but not 镇): among Big5's
    frequent characters (its first level, A440-C67E). 党 is in Big5's second level, as a
    surname: in a Traditional report it is 黨 read as its Simplified form."""
    try:
        code = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and b"\xa4\x40" <= code <= b"\xc6\x7e"


def _to_simplified(char: str) -> str:
    return _opencc("t2s").convert(char)


def _to_traditional(char: str) -> str:
    return _opencc("s2tw").convert(char)


@functools.cache
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


def _simplified(text: str) -> str:
    return "".join(map(_to_simplified, text))
