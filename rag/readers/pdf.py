""".pdf -> the text layer of its pages (pypdf); a scanned PDF without one is refused."""

from __future__ import annotations

from pathlib import Path

from rag.errors import BadDocument
from rag.readers.plain import one_line


def read_pdf(path: Path) -> str:
    """The text layer of each page, stripped, joined with "\\n\\n"; blank pages are skipped."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(path)
    except Exception as exc:  # pypdf raises PdfReadError, but also ValueError, KeyError, ...
        raise BadDocument(f"{path}: not a valid PDF ({one_line(exc)})") from exc
    try:
        # Many PDFs are encrypted with an empty password only to forbid editing.
        opened = not reader.is_encrypted or bool(reader.decrypt(""))
    except Exception as exc:  # e.g. AES without the `cryptography` package
        raise BadDocument(f"{path}: the PDF is encrypted and cannot be opened ({one_line(exc)})") from exc
    if not opened:
        raise BadDocument(f"{path}: the PDF is password-protected; save an unprotected copy")
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:
        raise BadDocument(f"{path}: not a valid PDF ({one_line(exc)})") from exc
    texts = [text.strip() for text in pages if text.strip()]
    if not texts:
        raise BadDocument(
            f"{path}: the PDF has no extractable text ({len(pages)} pages); it is probably "
            "scanned: run OCR on it (e.g. ocrmypdf) and index the result"
        )
    return "\n\n".join(texts)
