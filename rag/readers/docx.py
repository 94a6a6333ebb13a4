""".docx -> its body paragraphs and table rows (python-docx), after a check against zip bombs.

What Word shows but does not store as text is written into it: the number that automatic
list numbering puts before a paragraph ("一、", "（一）", "1."), so a heading keeps the number
its readers cite it by.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

from rag.errors import BadDocument
from rag.readers.plain import one_line

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Word's "Heading 1", a Chinese Word's "标题 1", "Title" and "标题" (the title style).
_HEADING_STYLE = re.compile(r"^(?:heading|标题|title)\s*\d*$", re.IGNORECASE)
# Outline levels 0-8 are headings; 9 is Word's "body text" level.
_BODY_OUTLINE_LEVEL = 9
# A heading ending like a sentence would be read as prose by rag.ingest; Word headings end so only by a typing habit.
_HEADING_END = "。．.;；"
_CHINESE_DIGITS = "零一二三四五六七八九"
_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_STEMS = "甲乙丙丁戊己庚辛壬癸"

# What a .docx may unpack to: twice the 50 MiB rag.readers.MAX_FILE_BYTES. python-docx inflates
# every part into memory and parses the XML (a 256 MiB document.xml, 1 MiB zipped, took 6 GB
# and 36 s); real reports unpack to a few MiB.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024


def read_docx(path: Path) -> str:
    """Body paragraphs and table rows in document order, joined with "\\n\\n".

    Blank paragraphs (Word's way of adding space) are dropped. A table row is one paragraph,
    its cells joined with tabs; a merged cell is read once. Headers, footers, footnotes and
    text boxes are not body text and are left out.

    A paragraph Word numbers automatically starts with the number Word shows ("一、把牢履职方向").
    A heading (a Heading/标题/Title style, or an outline level 0-8, set on the paragraph or its
    style) is one line without a sentence end, which is what rag.ingest takes for a heading.
    """
    _check_unzipped_size(path)
    try:
        import docx
        from docx.table import Table

        document = docx.Document(str(path))
        numbering = _Numbering(document)
        blocks = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.extend(_docx_rows(block))
            else:  # an empty numbered paragraph still takes its number, as in Word
                text = _paragraph_text(block, numbering)
                if block.text.strip():
                    blocks.append(text)
    except Exception as exc:  # python-docx raises zipfile, lxml, KeyError and its own errors
        raise BadDocument(f"{path}: not a valid .docx file ({one_line(exc)})") from exc
    return "\n\n".join(blocks)


def _paragraph_text(paragraph, numbering: "_Numbering") -> str:
    styles = _style_chain(paragraph)
    pprs = [paragraph._p.pPr, *(style.element.pPr for style in styles)]
    text = numbering.label(pprs, {style.style_id for style in styles}) + paragraph.text
    if not _is_heading(pprs, styles):
        return text
    # A soft line break inside a heading would split it into a heading and a stray line.
    return re.sub(r"[\t\n\r\v]+", " ", text).strip().rstrip(_HEADING_END)


def _style_chain(paragraph) -> list:
    """The paragraph's style and the styles it is based on, nearest first."""
    chain, style = [], paragraph.style
    while style is not None and style not in chain:
        chain.append(style)
        style = style.base_style
    return chain


def _is_heading(pprs: list, styles: list) -> bool:
    if any(_HEADING_STYLE.match(style.name or "") for style in styles):
        return True
    level = _first_val(pprs, "outlineLvl")
    return level is not None and level.isdigit() and int(level) < _BODY_OUTLINE_LEVEL


def _first_val(pprs: list, tag: str) -> str | None:
    """w:val of the first `tag` in the paragraph's own properties, then its styles'."""
    for ppr in pprs:
        found = ppr.find(f"{_W}{tag}") if ppr is not None else None
        if found is not None:
            return found.get(f"{_W}val")
    return None


def _check_unzipped_size(path: Path) -> None:
    """Refuse a zip bomb before python-docx inflates it.

    The declared sizes are checked first. Then the members are inflated here in small
    pieces and counted, because declared sizes can lie: python-docx reads a member in one
    piece, and zipfile inflates the whole stream (up to 2 GiB at once) before cutting it
    to the declared size.
    """
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            members = archive.infolist()
            unzipped = sum(member.file_size for member in members)
            if unzipped <= MAX_UNZIPPED_BYTES:
                unzipped = 0
                for member in members:
                    unzipped += _inflated_size(raw, member, MAX_UNZIPPED_BYTES - unzipped)
                    if unzipped > MAX_UNZIPPED_BYTES:
                        break
    except (zipfile.BadZipFile, zlib.error, struct.error, OSError, ValueError, EOFError) as exc:
        raise BadDocument(f"{path}: not a valid .docx file ({one_line(exc)})") from exc
    if unzipped > MAX_UNZIPPED_BYTES:
        raise BadDocument(
            f"{path}: unpacks to over {MAX_UNZIPPED_BYTES // 2**20} MiB, the limit for a .docx "
            "(a zip bomb, or a document full of media); save the text alone as .docx or .txt"
        )


def _inflated_size(raw, member: zipfile.ZipInfo, budget: int) -> int:
    """What one member really inflates to, counted in 1 MiB pieces; stops once past `budget`."""
    raw.seek(member.header_offset + 26)
    name_length, extra_length = struct.unpack("<HH", raw.read(4))
    raw.seek(member.header_offset + 30 + name_length + extra_length)
    if member.compress_type == zipfile.ZIP_STORED:
        return member.compress_size
    if member.compress_type != zipfile.ZIP_DEFLATED:  # zipfile inflates bzip2 and lzma in one piece
        raise ValueError(f"{member.filename} uses compression method {member.compress_type}, not deflate")
    inflater, size, left = zlib.decompressobj(-zlib.MAX_WBITS), 0, member.compress_size
    while (left or inflater.unconsumed_tail) and size <= budget:
        data = inflater.unconsumed_tail
        if not data:
            data = raw.read(min(left, 1 << 16))
            if not data:
                raise EOFError(f"{member.filename} is truncated")
            left -= len(data)
        size += len(inflater.decompress(data, 1 << 20))
    return size


def _docx_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            # python-docx repeats a horizontally merged cell once per grid column it spans.
            if previous is not None and cell._tc is previous._tc:
                continue
            previous = cell
            cells.append(cell.text)
        if any(text.strip() for text in cells):
            rows.append("\t".join(cells))
    return rows


class _Numbering:
    """Word's automatic numbering: the number each numbered paragraph shows, counted in document order.

    A list instance (w:num) counts on its own; a level restarts after any higher level of
    the same list, as Word's lvlRestart default has it. Bullets show no number and give "".
    """

    def __init__(self, document) -> None:
        self._levels: dict[str, dict[int, dict]] = {}  # numId -> ilvl -> {fmt, text, start, legal}
        self._counts: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstracts = {a.get(f"{_W}abstractNumId"): a for a in root.findall(f"{_W}abstractNum")}
        for num in root.findall(f"{_W}num"):
            abstract_id = num.find(f"{_W}abstractNumId")
            abstract = abstracts.get(abstract_id.get(f"{_W}val")) if abstract_id is not None else None
            if abstract is not None:
                self._levels[num.get(f"{_W}numId")] = _levels(abstract, num)

    def label(self, pprs: list, style_ids: set[str]) -> str:
        """The number before a paragraph, whose properties then its styles' are `pprs`; counts it."""
        num_id, ilvl = None, None
        for ppr in pprs:
            num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
            if num_pr is None:
                continue
            num_id = num_id or _val(num_pr, "numId")
            ilvl = ilvl or _val(num_pr, "ilvl")
        levels = self._levels.get(num_id or "0")  # numId 0 switches numbering off
        if levels and ilvl is None:  # a heading style's list names the level it numbers
            ilvl = next((str(n) for n, spec in levels.items() if spec["style"] in style_ids), None)
        level = int(ilvl) if ilvl and ilvl.isdigit() else 0
        if not levels or level not in levels:
            return ""
        counts = self._counts.setdefault(num_id, {})
        counts[level] = counts[level] + 1 if level in counts else levels[level]["start"]
        for deeper in [n for n in counts if n > level]:
            del counts[deeper]
        spec = levels[level]
        if spec["fmt"] in ("bullet", "none"):
            return ""

        def number(match: re.Match) -> str:
            at = int(match.group(1)) - 1
            value = counts.get(at, levels.get(at, {}).get("start", 1))
            return str(value) if spec["legal"] else _format(value, levels.get(at, spec)["fmt"])

        text = re.sub(r"%([1-9])", number, spec["text"])
        # "一、" and "（一）" run into the text as typed; "1." gets the space Word's tab stands for.
        return text if not text or not text[-1].isascii() or spec["suffix"] == "nothing" else text + " "


def _val(element, tag: str) -> str | None:
    found = element.find(f"{_W}{tag}")
    return found.get(f"{_W}val") if found is not None else None


def _levels(abstract, num) -> dict[int, dict]:
    levels = {}
    for lvl in abstract.findall(f"{_W}lvl"):
        start = _val(lvl, "start")
        levels[int(lvl.get(f"{_W}ilvl", "0"))] = {
            "fmt": _val(lvl, "numFmt") or "decimal",
            "text": _val(lvl, "lvlText") or "",
            "start": int(start) if start and start.lstrip("-").isdigit() else 1,
            "legal": lvl.find(f"{_W}isLgl") is not None,
            "suffix": _val(lvl, "suff") or "tab",
            "style": _val(lvl, "pStyle"),
        }
    for override in num.findall(f"{_W}lvlOverride"):
        ilvl, start = int(override.get(f"{_W}ilvl", "0")), override.find(f"{_W}startOverride")
        if ilvl in levels and start is not None and (start.get(f"{_W}val") or "").isdigit():
            levels[ilvl]["start"] = int(start.get(f"{_W}val"))
    return levels


def _format(value: int, fmt: str) -> str:
    """`value` written as Word's number format `fmt` writes it; unknown formats as decimals."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "taiwaneseCountingThousand", "koreanCounting"):
        return _chinese(value, _CHINESE_DIGITS)
    if fmt == "chineseLegalSimplified":
        return _chinese(value, _LEGAL_DIGITS, "拾佰仟")
    if fmt in ("ideographDigital", "japaneseDigitalTenThousand", "taiwaneseDigital"):
        return "".join(_CHINESE_DIGITS[int(d)].replace("零", "〇") for d in str(value))
    if fmt == "ideographTraditional" and 1 <= value <= len(_STEMS):
        return _STEMS[value - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= value <= len(_CIRCLED):
        return _CIRCLED[value - 1]
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt == "decimalZero":
        return f"{value:02d}"
    if fmt in ("lowerLetter", "upperLetter") and value >= 1:
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 1 <= value < 4000:
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _chinese(value: int, digits: str, units: str = "十百千") -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五: numbers as Chinese counting writes them (below 10000)."""
    if not 0 < value < 10000:
        return str(value)
    parts, zero = [], False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        digit = value // power % 10
        if digit:
            parts.append(("零" if zero and parts else "") + digits[digit] + unit)
            zero = False
        else:
            zero = bool(parts)
    text = "".join(parts)
    # Counting says 十一, not 一十一; the legal form keeps 壹拾壹.
    return text[1:] if 10 <= value < 20 and units[0] == "十" else text


def _roman(value: int) -> str:
    out = ""
    for number, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out, value = out + letters, value - number
    return out
