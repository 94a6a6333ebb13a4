"""One report file (.txt .md .docx .pdf .html .htm) -> its text, the string every offset indexes.

`read_text` is deterministic: the same bytes always give the same string, because chunk
offsets and citations are checked against it. Plain text (.txt, .md) is returned exactly as
decoded: no whitespace is stripped and "\\r\\n" is kept, only a leading BOM is dropped.
Structured formats are reduced to their paragraphs, joined with "\\n\\n".

Encoding detection for .txt, .md and .html, in this order:

1. A BOM decides: UTF-8, UTF-16 or UTF-32.
2. NUL bytes without a BOM mean a binary file (or UTF-16 without a BOM, which we refuse
   rather than guess at).
3. Strict UTF-8: text in GB18030 or Big5 almost never happens to be valid UTF-8.
4. Otherwise GB18030 (a superset of GB2312 and GBK) and Big5 are both tried, and the
   decoding with the higher share of frequent Chinese characters wins. Both must be tried:
   every Big5 byte pair is also a valid GB18030 pair, so Big5 text decodes as GB18030
   without error, only to mojibake. A wrong decoding is full of rare characters, kana,
   box drawing and private-use code points; a right one is over 90% frequent characters.
   The frequent set is GB2312 level 1 (3,755 simplified characters) plus Big5 level 1
   (5,401 traditional ones), read from Python's own codecs, so no data file ships.
   charset-normalizer is not used: its guesses change between versions, and the
   offsets of an index must not.
5. A winner that is still mostly rare characters is refused as undecodable rather than
   indexed as mojibake.
"""

from __future__ import annotations

import codecs
import functools
import re
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from pathlib import Path

from rag.errors import BadDocument

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
MAX_FILE_BYTES = 50 * 1024 * 1024
# What a .docx may unpack to. python-docx inflates every part into memory and parses the XML
# (a 256 MiB document.xml, 1 MiB zipped, took 6 GB and 36 s); real reports unpack to a few MiB.
MAX_DOCX_UNZIPPED_BYTES = 2 * MAX_FILE_BYTES

# UTF-32 first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Python's "big5" rejects the Microsoft and Hong Kong extensions; those files are still Big5
# to their authors, so the wider tables are tried when plain Big5 fails.
_BIG5_CODECS = ("big5", "cp950", "big5hkscs")
_COMMON_PUNCTUATION = "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕—…·．％～－　"
# A right decoding of a report scores above 0.9, the wrong one of the same bytes below 0.5.
_MIN_SCORE = 0.6
# Below this many non-ASCII characters the score says too little to refuse a file on.
_MIN_SCORED_CHARS = 20
# Control characters other than tab, newlines and form feed: stray ones happen in real
# files, a few percent of them only in binary data.
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_ASCII = re.compile(r"[\x00-\x7f]+")
_SCORED_CHARS = 100_000


def read_text(path: Path) -> str:
    """The text of one report file, the string that chunk offsets index.

    Raises:
        BadDocument: the file is missing, too large, empty, binary, undecodable, of an
            unsupported type, a broken .docx or PDF, or a PDF without a text layer. The
            message is one line and starts with the path.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise BadDocument(
            f"{path}: unsupported file type {suffix or '(no suffix)'!r}; "
            f"supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise BadDocument(f"{path}: no such file") from None
    except OSError as exc:
        raise BadDocument(f"{path}: cannot be read ({_why(exc)})") from exc
    if not path.is_file():
        raise BadDocument(f"{path}: not a regular file")
    if size > MAX_FILE_BYTES:
        raise BadDocument(
            f"{path}: {size / 2**20:.1f} MiB is larger than the {MAX_FILE_BYTES // 2**20} MiB limit "
            "for one report; split it"
        )
    if size == 0:
        raise BadDocument(f"{path}: empty file (0 bytes)")

    text = _READERS[suffix](path)
    if not text.strip():
        raise BadDocument(f"{path}: empty file (no text, only whitespace)")
    return text


def _read_plain(path: Path) -> str:
    """.txt and .md: the decoded file, untouched (markdown stays markdown)."""
    return _decode(_read_bytes(path), path)


def _read_docx(path: Path) -> str:
    """Body paragraphs and table rows in document order, joined with "\\n\\n".

    Blank paragraphs (Word's way of adding space) are dropped. A table row is one paragraph,
    its cells joined with tabs; a merged cell is read once. Headers, footers, footnotes and
    text boxes are not body text and are left out.
    """
    _check_unzipped_size(path)
    try:
        import docx
        from docx.table import Table

        document = docx.Document(str(path))
        blocks = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.extend(_docx_rows(block))
            elif block.text.strip():
                blocks.append(block.text)
    except Exception as exc:  # python-docx raises zipfile, lxml, KeyError and its own errors
        raise BadDocument(f"{path}: not a valid .docx file ({_why(exc)})") from exc
    return "\n\n".join(blocks)


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
            if unzipped <= MAX_DOCX_UNZIPPED_BYTES:
                unzipped = 0
                for member in members:
                    unzipped += _inflated_size(raw, member, MAX_DOCX_UNZIPPED_BYTES - unzipped)
                    if unzipped > MAX_DOCX_UNZIPPED_BYTES:
                        break
    except (zipfile.BadZipFile, zlib.error, struct.error, OSError, ValueError, EOFError) as exc:
        raise BadDocument(f"{path}: not a valid .docx file ({_why(exc)})") from exc
    if unzipped > MAX_DOCX_UNZIPPED_BYTES:
        raise BadDocument(
            f"{path}: unpacks to over {MAX_DOCX_UNZIPPED_BYTES // 2**20} MiB, the limit for a .docx "
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


def _read_pdf(path: Path) -> str:
    """The text layer of each page, stripped, joined with "\\n\\n"; blank pages are skipped."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(path)
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError, ...
        raise BadDocument(f"{path}: not a valid PDF ({_why(exc)})") from exc
    try:
        # Many PDFs are encrypted with an empty password only to forbid editing.
        opened = not reader.is_encrypted or bool(reader.decrypt(""))
    except Exception as exc:  # e.g. AES without the `cryptography` package
        raise BadDocument(f"{path}: the PDF is encrypted and cannot be opened ({_why(exc)})") from exc
    if not opened:
        raise BadDocument(f"{path}: the PDF is password-protected; save an unprotected copy")
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise BadDocument(f"{path}: not a valid PDF ({_why(exc)})") from exc
    texts = [text.strip() for text in pages if text.strip()]
    if not texts:
        raise BadDocument(
            f"{path}: the PDF has no extractable text ({len(pages)} pages); it is probably "
            "scanned: run OCR on it (e.g. ocrmypdf) and index the result"
        )
    return "\n\n".join(texts)


# Not shown on the page, or page furniture repeated on every page of a site.
_HIDDEN_TAGS = frozenset(
    "head script style noscript template iframe object svg nav header footer aside".split()
)
_BLOCK_TAGS = frozenset(
    """address article blockquote body caption center dd details dialog div dl dt fieldset
    figcaption figure form h1 h2 h3 h4 h5 h6 hr html li main ol p pre section summary table
    tbody thead tfoot tr ul""".split()
)
_CELL_TAGS = frozenset(("td", "th"))
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)


class _Marker:
    """Where an element ends in the iterative walk of _read_html."""


_BLOCK_END = _Marker()
_PRE_END = _Marker()


def _read_html(path: Path) -> str:
    """The visible text: one paragraph per block element, joined with "\\n\\n".

    Runs of whitespace collapse to one space as a browser shows them, except inside <pre>;
    <br> is a line break; table cells are joined with tabs. Scripts, styles, <head> and
    page furniture (nav, header, footer, aside) are dropped.
    """
    data = _read_bytes(path)
    declared = _CHARSET.search(data[:4096])
    text = _decode(data, path, declared=declared.group(1).decode("ascii") if declared else None)
    try:
        from bs4 import BeautifulSoup, NavigableString
        from bs4.element import PreformattedString

        soup = BeautifulSoup(text, "html.parser")
    except Exception as exc:  # html.parser is lenient; this is for the unforeseen
        raise BadDocument(f"{path}: not parseable as HTML ({_why(exc)})") from exc

    blocks: list[str] = []
    line: list[str] = []

    def flush() -> None:
        block = re.sub(r" *\n *", "\n", "".join(line)).strip()
        if block:
            blocks.append(block)
        line.clear()

    pre_depth = 0
    # Iterative, not recursive: generated pages nest deeper than Python's recursion limit.
    stack: list = [soup]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            flush()
            continue
        if node is _PRE_END:
            pre_depth -= 1
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                line.append(str(node) if pre_depth else _HTML_SPACE.sub(" ", node))
            continue
        name = node.name
        if name in _HIDDEN_TAGS:
            continue
        if name == "br":
            line.append("\n")
            continue
        if name in _CELL_TAGS and "".join(line).strip():
            line.append("\t")
        if name in _BLOCK_TAGS:
            flush()
            stack.append(_BLOCK_END)
        if name == "pre":
            pre_depth += 1
            stack.append(_PRE_END)
        stack.extend(reversed(node.contents))
    flush()
    return "\n\n".join(blocks)


_READERS = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
    ".html": _read_html,
    ".htm": _read_html,
}


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"{path}: cannot be read ({_why(exc)})") from exc


def _decode(data: bytes, path: Path, declared: str | None = None) -> str:
    """Bytes -> text by the order in the module docstring.

    `declared` is an HTML page's own charset label; it breaks the GB18030/Big5 tie only, as
    pages often declare a wrong charset and a wrong declaration must not produce mojibake.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _try_decode(data, encoding)
            if text is None:
                raise BadDocument(
                    f"{path}: starts with a {encoding.upper()} byte-order mark "
                    f"but is not valid {encoding.upper()}"
                )
            if "\x00" in text:
                raise BadDocument(f"{path}: binary content (NUL characters behind a text BOM)")
            return _checked(text, path)
    if b"\x00" in data:
        raise BadDocument(
            f"{path}: binary content (contains NUL bytes); if it is UTF-16 text without "
            "a byte-order mark, save it as UTF-8"
        )
    text = _try_decode(data, "utf-8")
    if text is not None:
        return _checked(text, path)

    scored = []
    for family in (("gb18030",), _BIG5_CODECS):
        for encoding in family:
            text = _try_decode(data, encoding)
            if text is not None:
                scored.append((encoding, text, *_score(text)))
                break
    if not scored:
        raise BadDocument(
            f"{path}: not text in UTF-8, UTF-16, GB18030/GBK or Big5 "
            "(a binary file, or another encoding: save it as UTF-8)"
        )
    preferred = _family(declared)
    # Highest score wins; on a tie the declared charset, then GB18030 (mainland reports).
    encoding, text, score, scored_chars = max(
        scored,
        key=lambda c: (c[2], _family(c[0]) == preferred, c[0] == "gb18030"),
    )
    if score < _MIN_SCORE and scored_chars >= _MIN_SCORED_CHARS:
        raise BadDocument(
            f"{path}: undecodable text: neither UTF-8, GB18030 nor Big5 gives readable Chinese "
            f"(best: {encoding}, {score:.0%} common characters); save it as UTF-8"
        )
    return _checked(text, path)


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _family(encoding: str | None) -> str | None:
    """"gbk", "GB2312", "x-gbk" -> "gb"; "big5", "cp950" -> "big5"; anything else None."""
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk", "gb18030", "cp936"):
        return "gb"
    if name in ("big5", "cp950", "big5hkscs"):
        return "big5"
    return None


def _checked(text: str, path: Path) -> str:
    """Refuse decoded text that is mostly control characters: binary that happened to decode."""
    controls = sum(1 for _ in _CONTROL.finditer(text))
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise BadDocument(f"{path}: binary content ({controls} control characters in {len(text)})")
    return text


def _score(text: str) -> tuple[float, int]:
    """(score, characters scored). The score is the share of frequent Chinese characters
    among the non-ASCII ones, minus the share of private-use and unassigned code points
    (which only a wrong decoding produces); 1.0 for pure ASCII.

    Only the first _SCORED_CHARS non-ASCII characters are looked at: the verdict is settled
    long before, and counting a 50 MB file would take seconds per candidate.
    """
    sample = _ASCII.sub("", text)[:_SCORED_CHARS]
    frequent = _frequent_chars()
    common = bad = 0
    for ch, n in Counter(sample).items():
        if ch in frequent:
            common += n
        elif unicodedata.category(ch) in ("Co", "Cn"):
            bad += n
    return ((common - bad) / len(sample) if sample else 1.0), len(sample)


@functools.cache
def _frequent_chars() -> frozenset[str]:
    """GB2312 level 1 + Big5 level 1 + common full-width punctuation, built on first use."""
    chars = set(_COMMON_PUNCTUATION)
    chars.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width ASCII
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            chars.update(bytes((lead, trail)).decode("gb2312", errors="ignore"))
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if (lead, trail) >= (0xC6, 0xA1):  # C6A1 onwards is not level 1
                break
            chars.update(bytes((lead, trail)).decode("big5", errors="ignore"))
    return frozenset(chars)


def _why(exc: BaseException) -> str:
    """An exception as a short single line, for messages that must stay one line."""
    detail = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
