"""corpus/ files and reports.toml -> Report: body paragraphs with their heading paths and offsets.

A line of a report is one of four things:
- furniture (breadcrumbs, "编辑:", "■通讯员", photo captions, stray symbols): never cited;
- a title line (part of the report's title or committee name): shown in the citation, not as a section;
- a heading: a short line without sentence-ending punctuation;
- a body paragraph: everything else. Its run-in heading ("理论武装强信念。") joins the heading path.
Paragraph offsets index into the decoded file, so `source[start:end] == text` always holds.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rag.errors import BadDocument, RagError
from rag.identity import METADATA_FILE, guess_meta, is_breadcrumb, is_byline
from rag.readers import SUPPORTED_SUFFIXES, read_document
from rag.records import Document, Paragraph, Report, ReportMeta
from rag.text import ENUMERATOR, SENTENCE_END, normalize, sentence_spans

log = logging.getLogger(__name__)

# A line ending in an ellipsis trails off like prose: it is no heading.
_PROSE_END = SENTENCE_END + "…"
_HEADING_MAX_CHARS = 40
_RUN_IN_MAX_CHARS = 12
_NUMBERED = re.compile(r"^[一二三四五六七八九十百]+[、.．]")
_SUB_NUMBERED = re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")
_CAPTION = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日[,，]")
_HAS_WORD = re.compile(r"[\w\u4e00-\u9fff]")

# Heading ranks: a new heading closes every open heading of the same or a lower rank.
_RANK_LINE, _RANK_NUMBERED, _RANK_SUB_NUMBERED, _RANK_RUN_IN = 1, 2, 3, 4


def read_metadata(corpus_dir: Path) -> dict[str, list[ReportMeta]]:
    """Entries of corpus/reports.toml by file name; a missing file means no metadata."""
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = data.get("report", [])
        # TOML has no null: an entry without a year covers a year nobody knows.
        metas = [ReportMeta(**{"year": None, **entry, "aliases": tuple(entry.get("aliases", ()))}) for entry in entries]
    except (tomllib.TOMLDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise RagError(f"{path}: not a valid report list ({exc}); see the comment at its top") from None
    by_file: dict[str, list[ReportMeta]] = {}
    for meta in metas:
        by_file.setdefault(meta.file, []).append(meta)
    return by_file


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file of corpus/ that is meant to be a report (metadata and hidden files aside)."""
    if not corpus_dir.is_dir():
        raise RagError(f"corpus directory {corpus_dir} does not exist")
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != METADATA_FILE and not p.name.endswith("~")
    )


def ingest_file(path: Path, metas: list[ReportMeta] | None = None) -> list[Report]:
    """Read one file and cut it into its reports. Raises BadDocument naming the file."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BadDocument(f"{path.name}: unsupported file type {path.suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    document = read_document(path)
    reports = split_reports(path.name, document, metas or [guess_meta(path.name, document.text)])
    if not any(r.paragraphs for r in reports):
        raise BadDocument(f"{path.name}: no report text found (only headings or page furniture)")
    return reports


def split_reports(file_name: str, document: Document | str, metas: list[ReportMeta]) -> list[Report]:
    """Cut a decoded file into one Report per metadata entry, at each entry's `starts_at` line."""
    if isinstance(document, str):
        document = Document(text=document)
    source = document.text
    lines = list(_lines(source))
    starts = [0]
    for meta in metas[1:]:
        after = starts[-1]
        found = next((i for i, (s, e) in enumerate(lines) if i > after and source[s:e] == meta.starts_at), None)
        if found is None:
            raise RagError(f"{METADATA_FILE}: line {meta.starts_at!r} not found in {file_name}")
        starts.append(found)
    bounds = list(zip(starts, starts[1:] + [len(lines)]))
    reports = []
    for number, (meta, (first, stop)) in enumerate(zip(metas, bounds), start=1):
        report_id = file_name if number == 1 else f"{file_name}#{number}"
        paragraphs = tuple(_paragraphs(document, lines[first:stop], meta))
        reports.append(Report(report_id=report_id, meta=meta, source=source, paragraphs=paragraphs, document=document))
    return reports


def _lines(source: str):
    """(start, end) of each non-blank line, with surrounding whitespace (incl. U+3000) trimmed."""
    for match in re.finditer(r"[^\n]+", source):
        text = match.group()
        stripped = text.strip()
        if stripped:
            lead = len(text) - len(text.lstrip())
            yield match.start() + lead, match.start() + lead + len(stripped)


@dataclass(frozen=True, slots=True)
class _TitleWords:
    words: str

    @classmethod
    def of(cls, meta: ReportMeta) -> "_TitleWords":
        return cls(normalize(" ".join([meta.title, meta.short_name, meta.committee])))

    def covers(self, line: str) -> bool:
        parts = normalize(line).replace("—", " ").split()
        return bool(parts) and all(part in self.words for part in parts)


def _paragraphs(document: Document, lines: list[tuple[int, int]], meta: ReportMeta):
    source = document.text
    title_words = _TitleWords.of(meta)
    open_headings: list[tuple[int, str]] = []
    number = 0
    for start, end in lines:
        line = source[start:end]
        if _is_furniture(line) or title_words.covers(line):
            continue
        rank = _heading_rank(line)
        if rank:
            _open(open_headings, rank, line)
            continue
        run_in = _run_in_heading(line)
        if run_in:
            _open(open_headings, _RANK_RUN_IN, run_in)
        number += 1
        yield Paragraph(
            number=number, start=start, end=end, text=line, headings=tuple(h for _, h in open_headings),
            pages=document.pages(start, end),
        )


def _open(open_headings: list[tuple[int, str]], rank: int, heading: str) -> None:
    while open_headings and open_headings[-1][0] >= rank:
        open_headings.pop()
    open_headings.append((rank, heading))


def _is_furniture(line: str) -> bool:
    if not _HAS_WORD.search(line) or is_byline(line) or is_breadcrumb(line):
        return True
    # A photo caption is one dated sentence standing alone under a picture.
    return bool(_CAPTION.match(line)) and len(line) <= 80 and len(sentence_spans(line)) <= 1


def _heading_rank(line: str) -> int:
    if len(line) > _HEADING_MAX_CHARS or line[-1] in _PROSE_END or line[-1] in ",，、:：":
        return 0
    if _NUMBERED.match(line):
        return _RANK_NUMBERED
    if _SUB_NUMBERED.match(line):
        return _RANK_SUB_NUMBERED
    return _RANK_LINE


def _run_in_heading(line: str) -> str:
    """The short first sentence that titles a paragraph ("理论武装强信念。"), or ""."""
    cut = line.find("。")
    if ENUMERATOR.match(line):
        return ""
    if 0 < cut <= _RUN_IN_MAX_CHARS and len(line) - cut > 20:
        return line[:cut]
    return ""
