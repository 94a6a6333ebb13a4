"""Word 97-2003 .doc -> its text: LibreOffice saves it as .docx, which rag.readers.docx reads.

Measured on the five shipped reports saved as .doc by LibreOffice 7.4 (163 paragraphs), and on
a .doc with heading styles, automatic numbering ("一、", "（一）"), a table and 𠮷 (outside the BMP):

- antiword 0.37 and catdoc 0.95: 2 ms a file and every paragraph of the reports, but the
  automatic numbers are lost ("一、把牢履职方向" comes out as "把牢履职方向") and 𠮷 turns into
  six bytes of mojibake;
- soffice --convert-to txt: 0.9 s; numbers kept, but indented and followed by a space, and a
  table's cells one per line;
- soffice --convert-to docx, read by rag.readers.docx: 1.0 s; numbers, heading styles, table
  rows and 𠮷 kept, the same text as the .docx the .doc was made from.

A second a file is small beside embedding it, and a lost "一、" is a heading cited wrongly, so
the .docx route it is (Haystack's legacy-office converter does the same). LibreOffice reads any
bytes as plain text when it knows no better, so only a Word file (an OLE2 container holding a
WordDocument stream) or RTF goes to it, with the import filter named; a .docx or an HTML page
saved under a .doc name, as web sites hand them out, goes to its own reader.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from rag.errors import BadDocument
from rag.readers.docx import read_docx
from rag.readers.html import read_html
from rag.readers.plain import read_bytes

DEBIAN_PACKAGE = "libreoffice-writer"
# A .doc of a few hundred pages converts in a few seconds; a stuck conversion must not hang ingest.
CONVERT_TIMEOUT_S = 120
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORD_STREAM = "WordDocument".encode("utf-16-le")


def read_doc(path: Path) -> str:
    """The text of a .doc, as rag.readers.docx gives it for the same document saved as .docx.

    Raises:
        BadDocument: LibreOffice is missing (naming the Debian package), or the file is no
            Word document, or LibreOffice cannot open it (encrypted, damaged) in time.
    """
    data = read_bytes(path)
    if data.startswith(b"PK\x03\x04"):
        return read_docx(path)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return read_html(path)
    if data.startswith(_OLE2) and _WORD_STREAM in data:
        import_filter = "MS Word 97"
    elif data.startswith(b"{\\rtf"):
        import_filter = "Rich Text Format"
    else:
        raise BadDocument(f"{path}: not a valid .doc file (no Word 97-2003 document or RTF inside)")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise BadDocument(
            f"{path}: reading .doc needs LibreOffice (soffice), which is not installed; "
            f"install the Debian package {DEBIAN_PACKAGE}, or save the file as .docx"
        )
    with tempfile.TemporaryDirectory(prefix="rag-doc-") as work:
        converted = _convert(soffice, path, import_filter, Path(work))
        try:
            return read_docx(converted)
        except BadDocument as exc:
            raise BadDocument(f"{path}: not a valid .doc file ({str(exc).removeprefix(f'{converted}: ')})") from None


def _convert(soffice: str, path: Path, import_filter: str, work: Path) -> Path:
    """`path` saved as .docx by LibreOffice inside `work`.

    The import filter is named: left to guess, LibreOffice reads a damaged Word file as plain
    text and converts the bytes. The input is copied under a plain name (a name starting with
    "-" would be read as an option), and LibreOffice gets a profile of its own: with the user's
    profile, a LibreOffice already open would take the job over and exit having written nothing.
    """
    source = work / "report.doc"
    shutil.copyfile(path, source)
    command = [
        soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
        f"--infilter={import_filter}", "--convert-to", "docx", "--outdir", str(work / "out"), str(source),
    ]
    # soffice starts soffice.bin as a child: a session of its own lets a timeout end both.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=work,
        env={**os.environ, "HOME": str(work)},
    )
    try:
        _, stderr = process.communicate(timeout=CONVERT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise BadDocument(f"{path}: LibreOffice did not convert it within {CONVERT_TIMEOUT_S} s") from None
    converted = work / "out" / "report.docx"
    if not converted.exists():
        lines = stderr.decode("utf-8", "replace").splitlines()
        # Its stderr opens with warnings about Java that say nothing about the file.
        why = next((line.strip() for line in lines if line.startswith("Error")), f"exit status {process.returncode}")
        raise BadDocument(f"{path}: not a valid .doc file (LibreOffice could not open it: {why[:160]})")
    return converted
