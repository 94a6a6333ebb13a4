""".docx -> its body paragraphs and table rows (python-docx), after a check against zip bombs."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from rag.errors import BadDocument
from rag.readers.plain import one_line

# What a .docx may unpack to: twice the 50 MiB rag.readers.MAX_FILE_BYTES. python-docx inflates
# every part into memory and parses the XML (a 256 MiB document.xml, 1 MiB zipped, took 6 GB
# and 36 s); real reports unpack to a few MiB.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024


def read_docx(path: Path) -> str:
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
        raise BadDocument(f"{path}: not a valid .docx file ({one_line(exc)})") from exc
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
