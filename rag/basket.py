"""The material basket (素材篮): verified quotes collected for a speech, with notes -> JSON, Markdown and .docx.

Decisions:
- An item is an excerpt the library produced (a quoted sentence of an answer, a whole cited
  passage, a sentence of a topic overview) plus the user's note. Its text is
  `source[start:end]` of its report file, with committee, report, year, section and paragraph.
- The basket lives in the browser (the app keeps it in gr.BrowserState, i.e. localStorage):
  it survives a reload and needs no server storage or accounts. What comes back from the
  browser is not trusted: `Basket.restore` rebuilds every item from the index by
  (doc, start, end) (`ExcerptSource.resolve`) and takes only the note from the browser; an
  item whose span is not one the library hands out, or whose text no longer matches (the
  report was edited), is dropped and counted. The app restores on every page load and keeps
  the basket in server-side session state in between, so an exported quote is always one the
  server produced or rebuilt from the index.
- Immutable: every operation returns a new Basket. The same (doc, start, end) is kept once;
  at most MAX_ITEMS items and MAX_NOTE_CHARS characters of note each.
- Exports: each quote verbatim, then its formal source line (the one "复制引文" writes) with
  the paragraph, then the note; at the end the short list of reports quoted. Markdown escapes
  only what could turn into markup or links, never digits, "." or "%", so a figure reads
  exactly as in the report even in the raw .md file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from rag.cite import citation_line, report_reference
from rag.errors import RagError
from rag.records import Answer, Excerpt

MAX_ITEMS = 200
MAX_NOTE_CHARS = 500
TITLE = "讲稿素材"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_MD_MARKUP = re.compile(r"([\\`*_\[\]<>#|~$&@])")
# A line starting "1. " or "- " would become a list; "1.5万" would not, and stays as it is.
_MD_LINE_START = re.compile(r"^(\s*)(\d{1,9})([.)])(?=\s|$)|^(\s*)([-+])(?=\s|$)", re.M)


class BasketFull(RagError):
    """The basket already holds MAX_ITEMS quotes."""


@dataclass(frozen=True, slots=True)
class BasketItem:
    text: str  # == decoded source of `doc` [start:end]
    doc: str
    report_id: str
    committee: str
    short_name: str
    title: str
    year: int | None
    headings: tuple[str, ...]
    paragraph: int
    start: int
    end: int
    note: str = ""
    pages: tuple[int, ...] = ()  # of the passage the excerpt lies in; () for an unpaged document

    @classmethod
    def from_excerpt(cls, excerpt: Excerpt, note: str = "") -> "BasketItem":
        chunk = excerpt.chunk
        return cls(
            text=excerpt.text, doc=chunk.doc, report_id=chunk.report_id, committee=chunk.committee,
            short_name=chunk.short_name, title=chunk.title, year=chunk.year, headings=chunk.headings,
            paragraph=chunk.paragraph, start=excerpt.start, end=excerpt.end, note=clean_note(note), pages=chunk.pages,
        )

    @property
    def key(self) -> str:
        return basket_key(self.doc, self.start, self.end)

    def to_dict(self) -> dict:
        return {
            "text": self.text, "doc": self.doc, "report_id": self.report_id, "committee": self.committee,
            "short_name": self.short_name, "title": self.title, "year": self.year, "headings": list(self.headings),
            "paragraph": self.paragraph, "start": self.start, "end": self.end, "note": self.note,
            "pages": list(self.pages),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "BasketItem":
        """Raises ValueError naming the field that is missing or of the wrong type."""
        if not isinstance(data, dict):
            raise ValueError("a basket item must be an object")
        fields = {"text": str, "doc": str, "report_id": str, "committee": str, "short_name": str, "title": str,
                  "paragraph": int, "start": int, "end": int}
        for name, kind in fields.items():
            if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
                raise ValueError(f"basket item field {name!r} must be a {kind.__name__}")
        year = data.get("year")
        if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
            raise ValueError("basket item field 'year' must be an int or null")
        headings = data.get("headings", [])
        if not isinstance(headings, list) or not all(isinstance(h, str) for h in headings):
            raise ValueError("basket item field 'headings' must be a list of strings")
        pages = data.get("pages", [])
        if not isinstance(pages, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in pages):
            raise ValueError("basket item field 'pages' must be a list of integers")
        note = data.get("note", "")
        return cls(**{name: data[name] for name in fields}, year=year, headings=tuple(headings),
                   note=clean_note(note if isinstance(note, str) else ""), pages=tuple(pages))


def basket_key(doc: str, start: int, end: int) -> str:
    """Identifies a quote: the same (doc, start, end) is the same quote. Buttons carry this, never text."""
    return f"{doc}@{start}-{end}"


def clean_note(note: str) -> str:
    """A note as kept: control characters dropped, at most MAX_NOTE_CHARS characters."""
    return _CONTROL.sub("", note or "").strip()[:MAX_NOTE_CHARS]


def answer_excerpts(answer: Answer) -> list[Excerpt]:
    """What of an answer can go into the basket: each quoted sentence, then each cited passage whole."""
    chunks = {c.number: c.chunk for c in answer.citations}
    quotes = [Excerpt(q.text, q.start, q.end, chunks[q.citation]) for q in answer.quotes if q.citation in chunks]
    passages = [Excerpt(c.chunk.text, c.chunk.start, c.chunk.end, c.chunk) for c in answer.citations]
    return quotes + passages


@dataclass(frozen=True, slots=True)
class Basket:
    items: tuple[BasketItem, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def find(self, key: str) -> BasketItem | None:
        return next((item for item in self.items if item.key == key), None)

    def add(self, item: BasketItem) -> "Basket":
        """The basket with `item` at the end; unchanged when it already holds the same quote."""
        if self.find(item.key):
            return self
        if len(self.items) >= MAX_ITEMS:
            raise BasketFull(f"素材篮最多存放 {MAX_ITEMS} 条，请先导出或删除一些")
        return Basket(self.items + (item,))

    def remove(self, key: str) -> "Basket":
        return Basket(tuple(item for item in self.items if item.key != key))

    def move(self, key: str, offset: int) -> "Basket":
        """The item moved `offset` places (-1 up, +1 down), stopping at either end."""
        items = list(self.items)
        at = next((i for i, item in enumerate(items) if item.key == key), None)
        if at is None:
            return self
        to = max(0, min(len(items) - 1, at + offset))
        items.insert(to, items.pop(at))
        return Basket(tuple(items))

    def annotate(self, key: str, note: str) -> "Basket":
        return Basket(tuple(replace(item, note=clean_note(note)) if item.key == key else item for item in self.items))

    def to_json(self) -> list[dict]:
        return [item.to_dict() for item in self.items]

    @classmethod
    def from_json(cls, data) -> "Basket":
        """The basket as stored, trusting its metadata; for data that did not leave the server."""
        return cls(tuple(BasketItem.from_dict(entry) for entry in data or ()))

    @classmethod
    def restore(cls, data, source) -> tuple["Basket", int]:
        """The basket rebuilt from the index (`source`: an ExcerptSource), and how many items were dropped.

        Only doc, start, end, text and note are read from `data`; the text must equal the
        index's slice, and the quote itself, committee, report and section come from the index.
        """
        items: list[BasketItem] = []
        dropped = 0
        for entry in data if isinstance(data, list) else ():
            entry = entry if isinstance(entry, dict) else {}
            excerpt = source.resolve(entry.get("doc"), entry.get("start"), entry.get("end"))
            if excerpt is None or excerpt.text != entry.get("text") or len(items) >= MAX_ITEMS:
                dropped += 1
                continue
            note = entry.get("note")
            item = BasketItem.from_excerpt(excerpt, note if isinstance(note, str) else "")
            if any(kept.key == item.key for kept in items):
                continue
            items.append(item)
        return cls(tuple(items)), dropped

    def sources(self) -> list[str]:
        """One line per report quoted, in order of first quote: title, year, paragraphs, file."""
        grouped: dict[tuple, list[BasketItem]] = {}
        for item in self.items:
            grouped.setdefault((item.committee, item.title, item.year, item.doc), []).append(item)
        lines = []
        for (committee, title, year, doc), items in grouped.items():
            paragraphs = "、".join(str(p) for p in sorted({item.paragraph for item in items}))
            lines.append(f"{report_reference(committee, title, year)}：第{paragraphs}段（文件 {doc}）")
        return lines

    def to_markdown(self, title: str = TITLE) -> str:
        parts = [f"# {_md(title)}", f"共 {len(self.items)} 条，均为报告原文摘录，文字与数字未作改动。"]
        for number, item in enumerate(self.items, 1):
            lines = [f"{number}. {_md(item.text).replace(chr(10), chr(10) + '   ')}", f"   {_md(citation_line(item))}"]
            if item.note:
                lines.append(f"   备注：{_md(item.note)}".replace("\n", "\n   "))
            parts.append("\n\n".join(lines))
        if self.items:
            parts.append("## 来源\n\n" + "\n".join(f"- {_md(line)}" for line in self.sources()))
        return "\n\n".join(parts) + "\n"

    def to_docx(self, title: str = TITLE) -> bytes:
        """The basket as a Word document: a numbered quote, its source line (small, grey), its note; then 来源."""
        from docx import Document
        from docx.oxml.ns import qn
        from docx.shared import Pt, RGBColor

        document = Document()
        normal = document.styles["Normal"]
        normal.font.name = "Times New Roman"
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")  # Chinese text in a Chinese face
        document.add_heading(_xml(title), level=1)
        document.add_paragraph(f"共 {len(self.items)} 条，均为报告原文摘录，文字与数字未作改动。")
        for item in self.items:
            document.add_paragraph(_xml(item.text), style="List Number")
            line = document.add_paragraph().add_run(_xml(citation_line(item)))
            line.font.size = Pt(9)
            line.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
            if item.note:
                document.add_paragraph().add_run(_xml(f"备注：{item.note}")).italic = True
        if self.items:
            document.add_heading("来源", level=2)
            for line in self.sources():
                document.add_paragraph(_xml(line), style="List Bullet")
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()

    def write(self, directory: Path, stem: str = TITLE) -> tuple[Path, Path]:
        """Write `<stem>.md` and `<stem>.docx` into `directory`; returns both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        markdown, docx = directory / f"{stem}.md", directory / f"{stem}.docx"
        markdown.write_text(self.to_markdown(), encoding="utf-8")
        docx.write_bytes(self.to_docx())
        return markdown, docx


def _md(text: str) -> str:
    """`text` for a Markdown file: markup characters backslash-escaped, links defused, figures untouched."""
    text = _MD_MARKUP.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}" if m.group(2) else f"{m.group(4)}\\{m.group(5)}", text)
    # GFM turns "http://x" and "www.x" into links on its own.
    return text.replace("://", "\\://").replace("www.", "www\\.")


def _xml(text: str) -> str:
    """Word cannot hold control characters; they show as U+FFFD instead of failing the export."""
    return _CONTROL.sub("\ufffd", text)
