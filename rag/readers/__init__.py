"""One report file (.txt .md .doc .docx .pdf .html .htm, or a .png .jpg .jpeg photo) -> a Document: its text, the string every offset indexes.

`read_document` is deterministic: the same bytes always give the same string, because chunk
offsets and citations are checked against it. Plain text (.txt, .md) is returned exactly as
decoded: no whitespace is stripped and "\\r\\n" is kept, only a leading BOM is dropped.
Structured formats are reduced to their paragraphs, joined with "\\n\\n". One module per
format; how bytes become text is in rag.readers.plain.
"""

from __future__ import annotations

from pathlib import Path

from rag.errors import BadDocument
from rag.records import Document
from rag.readers.doc import read_doc
from rag.readers.docx import read_docx
from rag.readers.html import read_html
from rag.readers.ocr import read_image
from rag.readers.pdf import read_pdf
from rag.readers.plain import one_line, read_plain

SUPPORTED_SUFFIXES = (".txt", ".md", ".doc", ".docx", ".pdf", ".html", ".htm", ".png", ".jpg", ".jpeg")
MAX_FILE_BYTES = 50 * 1024 * 1024

_READERS = {
    ".txt": read_plain,
    ".md": read_plain,
    ".doc": read_doc,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".png": read_image,
    ".jpg": read_image,
    ".jpeg": read_image,
}


def read_text(path: Path) -> str:
    """The text of one report file, the string that chunk offsets index."""
    return read_document(path).text


def read_document(path: Path) -> Document:
    """One report file read: its text, and for paged formats where each page begins.

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
        raise BadDocument(f"{path}: cannot be read ({one_line(exc)})") from exc
    if not path.is_file():
        raise BadDocument(f"{path}: not a regular file")
    if size > MAX_FILE_BYTES:
        raise BadDocument(
            f"{path}: {size / 2**20:.1f} MiB is larger than the {MAX_FILE_BYTES // 2**20} MiB limit "
            "for one report; split it"
        )
    if size == 0:
        raise BadDocument(f"{path}: empty file (0 bytes)")

    read = _READERS[suffix](path)
    document = read if isinstance(read, Document) else Document(text=read)
    if not document.text.strip():
        raise BadDocument(f"{path}: empty file (no text, only whitespace)")
    return document
