"""The records handed between pipeline stages: frozen dataclasses and nothing else."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


# Below this recogniser score an OCR line is shown as doubtful: PP-OCR scores clean print
# above 0.95, and a misread character typically pulls a line under 0.9.
LOW_OCR_CONFIDENCE = 0.9


@dataclass(frozen=True, slots=True)
class OcrLine:
    """A line of text that OCR read off an image: `text[start:end]` of its Document."""

    start: int
    end: int
    confidence: float  # the recogniser's score for the line, 0-1


@dataclass(frozen=True, slots=True)
class Document:
    """One file as a reader made it: the text every offset indexes, and where its pages begin.

    A paged format (PDF, scan, photo) gives `page_starts`: page n (1-based) begins at offset
    `page_starts[n - 1]`; a page with no text begins where the next one does. Unpaged formats
    (.txt, .docx, .html) leave it empty. `ocr_lines` lists every line read by OCR.
    """

    text: str
    page_starts: tuple[int, ...] = ()
    ocr_lines: tuple[OcrLine, ...] = ()

    def pages(self, start: int, end: int) -> tuple[int, ...]:
        """The pages text[start:end] stands on: (n,) or (first, last); () when unpaged."""
        if not self.page_starts:
            return ()
        first = bisect_right(self.page_starts, start)
        last = bisect_right(self.page_starts, max(start, end - 1))
        return (first,) if first == last else (first, last)

    def ocr_confidence(self, start: int, end: int) -> float | None:
        """The lowest confidence of the OCR lines text[start:end] overlaps; None when none was OCR."""
        scores = [line.confidence for line in self.ocr_lines if line.start < end and start < line.end]
        return min(scores) if scores else None

    def doubtful(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Offsets, within text[start:end], of the OCR lines read with low confidence."""
        return tuple(
            (max(line.start, start), min(line.end, end))
            for line in self.ocr_lines
            if line.start < end and start < line.end and line.confidence < LOW_OCR_CONFIDENCE
        )


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What corpus/reports.toml says about one report."""

    file: str
    committee: str
    short_name: str
    title: str
    year: int | None
    kind: str
    source: str = ""
    starts_at: str = ""
    aliases: tuple[str, ...] = ()  # other names a question may use, e.g. "Hai'an"


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One body paragraph of a report: `text == source[start:end]`."""

    number: int  # 1-based within its report, counting body paragraphs only
    start: int
    end: int
    text: str
    headings: tuple[str, ...]  # outermost first; a run-in heading of this paragraph included
    pages: tuple[int, ...] = ()  # Document.pages of the paragraph


@dataclass(frozen=True, slots=True)
class Report:
    """One report after ingest: its decoded source and the paragraphs worth citing."""

    report_id: str  # file name, plus "#2" for the second report of a file
    meta: ReportMeta
    source: str  # the whole decoded file; offsets of every paragraph index into it
    paragraphs: tuple[Paragraph, ...]
    document: Document | None = None  # pages and OCR lines of `source`, when the file has them


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str  # sha256(report_id, start, end, text)[:16]: a rebuild keeps the id
    report_id: str
    doc: str  # file name in corpus/
    committee: str
    short_name: str
    title: str
    year: int | None
    kind: str
    headings: tuple[str, ...]
    paragraph: int
    start: int  # decoded source[start:end] == text
    end: int
    text: str
    pages: tuple[int, ...] = ()  # (n,) or (first, last) for a paged document (PDF, scan)
    ocr_confidence: float | None = None  # lowest OCR line confidence in the chunk; None: not OCR
    ocr_doubtful: tuple[tuple[int, int], ...] = ()  # source offsets of its low-confidence OCR lines

    @property
    def heading(self) -> str:
        return " > ".join(self.headings)


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float
    # Cosine of the question with each sentence of the chunk (rag.text.sentence_spans order);
    # empty when the index has no sentence vectors.
    similarities: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    question: str
    hits: tuple[Hit, ...]
    abstain: bool
    reason: str = ""  # why it abstained, for people reading the output
    reading: str = ""  # how misspelt committee names were read: "“金胡县”按“金湖县”理解"


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Restricts a search to some committees (short names), years or reports; empty means all."""

    committees: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()
    report_ids: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not (self.committees or self.years or self.report_ids)

    def admits(self, report_id: str, meta: ReportMeta) -> bool:
        return (
            (not self.committees or meta.short_name in self.committees or meta.committee in self.committees)
            and (not self.years or meta.year in self.years)
            and (not self.report_ids or report_id in self.report_ids)
        )


@dataclass(frozen=True, slots=True)
class Citation:
    """Passage [number] of an answer."""

    number: int  # 1-based, as in the "[1]" markers
    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True)
class Quote:
    """One sentence of an answer: an exact slice of the passage it cites."""

    text: str  # == source[start:end] of citation's file
    start: int
    end: int
    citation: int  # the Citation.number it comes from
    label: str = ""  # "金湖县政协" in per-committee answers; not part of the quote


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A sentence or passage cut out of a report for the topic overview or the material basket.

    `text == decoded source of chunk.doc [start:end]`; `chunk` is the passage it lies in
    (committee, report, section, paragraph), and holds the whole excerpt where it can.
    """

    text: str
    start: int
    end: int
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class Answer:
    question: str  # as asked
    standalone: str  # the question searched: a follow-up rewritten with what it refers to
    text: str  # plain text: quotes each followed by its [n] marker, or the abstention
    quotes: tuple[Quote, ...]
    citations: tuple[Citation, ...]  # the passages quoted, numbered
    abstained: bool
    related: tuple[Hit, ...] = ()  # "可能相关": closest passages when abstaining
    reason: str = ""
    backend: str = "extractive"  # which answerer wrote `text`
    checks: tuple["SentenceCheck", ...] = ()  # per sentence, for generated answers
    notice: str = ""  # e.g. why the language model was not used this time
    verdict: str = ""  # DIRECT, RELATED or NOT_FOUND (rag.answer): what the reader is looking at
    confidence: float = 0.0  # how sure the answerer is that the quotes answer the question, 0-1
    reading: str = ""  # how misspelt committee names were read: "“金胡县”按“金湖县”理解"

    @property
    def verified(self) -> bool:
        return all(check.supported for check in self.checks)


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    """The verification of one sentence of a generated answer against the passages it cites."""

    text: str
    citations: tuple[int, ...]  # the [n] markers it carries
    supported: bool
    problems: tuple[str, ...] = ()  # e.g. "cites [9], but there are 3 passages", "76.6% is in none of [2]"
