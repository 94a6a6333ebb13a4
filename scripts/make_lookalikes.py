"""PP-OCRv4's readings of the Traditional characters it cannot write -> rag/data/ocr_lookalikes.tsv.

The recogniser's dictionary lacks about 2,600 Traditional characters of Big5 (黨, 奮, 繫).
On a Traditional page it drops such a character, reads its Simplified form, or reads a
character it knows that looks alike (黨 as 黛 or 棠, 繫 as 繁). This asks the recogniser itself
which look-alikes it reads: each of those Traditional characters is typeset between two
characters of both scripts ("在黨中", "的黨和") in a CJK font, at four sizes and blurs of a
page scanned at about 110 dpi, and read; what stands in its place, when it is one character that is neither the
Traditional nor the Simplified form, is a look-alike. Then 6,000 lines of running text are
read the same way: words of jieba's dictionary drawn by frequency and turned into Traditional
characters, so that a character is also read among others, as on a page. rag.readers.ocr_script weighs each
character a reading may stand for against the reading itself with jieba's words, as it does the
recogniser's runner-up.

Nothing of a report goes in: only the recogniser, a font, and the list of characters. The font
is the first CJK font fontconfig lists (here WenQuanYi Zen Hei, the one Debian package
scripts/setup.sh installs for the browser); run again where other fonts are installed to add
their look-alikes (the table keeps every reading found).

    .venv/bin/python scripts/make_lookalikes.py    # about 11 minutes on 2 cores
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rag.readers.ocr_script import _to_simplified, recogniser_characters  # noqa: E402

OUT = ROOT / "rag" / "data" / "ocr_lookalikes.tsv"
CONTEXTS = ("在{}中", "的{}和", "大{}小")  # characters every script and the recogniser share
# Character heights and blurs of a 10-14 point report printed and scanned at about 110 dpi.
LOOKS = ((15, 0.5), (17, 0.6), (20, 0.9), (17, 1.0))
RUNNING_LINES = 6000


def cjk_font() -> str:
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=True).stdout.split()
    if not listed:
        raise SystemExit("no CJK font: apt-get install fonts-wqy-zenhei")
    return sorted(path.rstrip(":") for path in listed)[0]


def typeset(line: str, font: ImageFont.FreeTypeFont, blur: float) -> np.ndarray:
    """`line` as a greyscale scan of it: grey ink on grey paper, out of focus by `blur` pixels."""
    pixels = font.size
    image = Image.new("L", (int(font.getlength(line)) + 2 * pixels, 2 * pixels), 236)
    ImageDraw.Draw(image).text((pixels, pixels // 2), line, font=font, fill=35)
    return np.asarray(image.filter(ImageFilter.GaussianBlur(blur)).convert("RGB"))


def readings(characters: list[str], font_file: str) -> dict[str, set[str]]:
    """What the recogniser reads in place of each character, in every look -> the characters read so."""
    from rapidocr_onnxruntime import RapidOCR

    recognise = RapidOCR().text_rec
    fonts = {size: ImageFont.truetype(font_file, size) for size, _ in LOOKS}
    lines = [(char, context, look) for char in characters for context in CONTEXTS for look in LOOKS]
    found: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(lines), 64):
        batch = lines[start : start + 64]
        results, _ = recognise([typeset(context.format(char), fonts[size], blur) for char, context, (size, blur) in batch])
        for (char, context, _), (text, _score) in zip(batch, results):
            before, after = context.split("{}")
            if text.startswith(before) and text.endswith(after) and len(text) == len(context) - 1:
                read = text[len(before)]
                if read not in (char, _to_simplified(char)):
                    found[read].add(char)
    return found


def in_running_text(lines: int, font_file: str, seed: int = 7) -> dict[str, set[str]]:
    """What the recogniser reads in place of the Traditional characters it lacks in lines of
    running text: words of jieba's dictionary drawn by their frequency, turned into Traditional
    characters by OpenCC, typeset and read in each look; read and printed lines are aligned."""
    import difflib
    import random

    import opencc
    from rapidocr_onnxruntime import RapidOCR

    from rag.readers.ocr_script import _lexicon

    known = recogniser_characters()
    words, weights = zip(*((word, count) for word, count in _lexicon() if 2 <= len(word) <= 4))
    rng, convert, recognise = random.Random(seed), opencc.OpenCC("s2tw"), RapidOCR().text_rec
    printed = []
    for _ in range(lines):
        text = convert.convert("".join(rng.choices(words, weights, k=6)))[:16]
        printed.append((text, rng.choice(LOOKS)))
    fonts = {size: ImageFont.truetype(font_file, size) for size, _ in LOOKS}
    found: dict[str, set[str]] = defaultdict(set)
    for start in range(0, len(printed), 64):
        batch = printed[start : start + 64]
        results, _ = recognise([typeset(text, fonts[size], blur) for text, (size, blur) in batch])
        for (text, _), (read, _score) in zip(batch, results):
            for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, text, read, autojunk=False).get_opcodes():
                if op == "replace" and a2 - a1 == b2 - b1:
                    for meant, got in zip(text[a1:a2], read[b1:b2]):
                        if meant not in known and _to_simplified(meant) not in (got, meant):
                            found[got].add(meant)
    return found


def traditional_only_unknown() -> list[str]:
    """Every character of Big5 (the Traditional character set) that has a different Simplified
    form and that the recogniser cannot write: 黨 and 繫 (whose 系 is also 係's)."""
    known = recogniser_characters()
    found = set()
    for lead in range(0xA4, 0xFA):
        for trail in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
            try:
                char = bytes((lead, trail)).decode("big5")
            except UnicodeDecodeError:
                continue
            if "\u4e00" <= char <= "\u9fff" and char not in known and _to_simplified(char) != char:
                found.add(char)
    return sorted(found)


def main() -> int:
    characters = traditional_only_unknown()
    found = readings(characters, cjk_font())
    for read, meant in in_running_text(RUNNING_LINES, cjk_font()).items():
        found[read] |= meant
    lines = [f"{read}\t{' '.join(sorted(meant))}" for read, meant in sorted(found.items())]
    header = [
        "# Read by PP-OCRv4 (as written, before any conversion) -> the Traditional characters it lacks",
        "# that it read so. Made by scripts/make_lookalikes.py; do not edit by hand.",
    ]
    OUT.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(lines)} readings of {sum(map(len, found.values()))} characters, of {len(characters)} probed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
