"""The material basket (素材篮): a speech draft of verified quotes and the writer's own words -> JSON.

Decisions:
- A quote (BasketItem) is an excerpt the library produced (a quoted sentence of an answer, a
  whole cited or "可能相关" passage, a sentence of a topic overview) plus the user's note. Its
  text is `source[start:end]` of its report file, with committee, report, year, section and
  paragraph.
- The writer's own words are OwnBlocks: a section heading, or a paragraph between quotes. They
  are free text, never checked against a report, and a kind of their own, so no edit, move or
  restore can turn them into a quote or splice them into one. A heading opens a section that
  runs to the next heading; entries before the first heading are the lead (开头).
- The basket lives in the browser (the app keeps it in gr.BrowserState, i.e. localStorage):
  it survives a reload and needs no server storage or accounts. What comes back from the
  browser is not trusted: `Basket.restore` rebuilds every quote from the index by
  (doc, start, end) (`ExcerptSource.resolve`) and takes only the note from the browser; a
  quote whose span is not one the library hands out, or whose text no longer matches (the
  report was edited), is dropped and counted. Own blocks come back as own blocks, cleaned.
  The app restores on every page load and keeps the basket in server-side session state in
  between, so an exported quote is always one the server produced or rebuilt from the index.
- Immutable: every operation returns a new Basket. The same (doc, start, end) is kept once;
  at most MAX_ITEMS quotes and MAX_OWN own blocks. Exports: rag.draft, rag.draft_word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.chunk import item_headings
from rag.errors import RagError
from rag.period import plan_label
from rag.records import Answer, Excerpt

MAX_ITEMS = 200
MAX_OWN = 200
MAX_NOTE_CHARS = 500
MAX_OWN_CHARS = 2000
MAX_HEADING_CHARS = 60
HEADING, OWN_TEXT = "heading", "text"
LEAD = "lead"  # the section key of what stands before the first heading

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class BasketFull(RagError):
    """The basket already holds MAX_ITEMS quotes or MAX_OWN own blocks."""


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
    plan: str = ""  # "2025年计划" when the passage states a plan, not work done (rag.period.plan_label)

    @classmethod
    def from_excerpt(cls, excerpt: Excerpt, note: str = "") -> "BasketItem":
        chunk = replace(excerpt.chunk, headings=item_headings(excerpt.chunk, excerpt.start))
        return cls(
            text=excerpt.text, doc=chunk.doc, report_id=chunk.report_id, committee=chunk.committee,
            short_name=chunk.short_name, title=chunk.title, year=chunk.year, headings=chunk.headings,
            paragraph=chunk.paragraph, start=excerpt.start, end=excerpt.end, note=clean_note(note), pages=chunk.pages,
            plan=plan_label(chunk),
        )

    @property
    def key(self) -> str:
        return basket_key(self.doc, self.start, self.end)

    def to_dict(self) -> dict:
        """As stored; an entry without "kind" is a quote (baskets stored before own text had none)."""
        return {
            "text": self.text, "doc": self.doc, "report_id": self.report_id, "committee": self.committee,
            "short_name": self.short_name, "title": self.title, "year": self.year, "headings": list(self.headings),
            "paragraph": self.paragraph, "start": self.start, "end": self.end, "note": self.note,
            "pages": list(self.pages),
            "plan": self.plan,
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
                   note=clean_note(note if isinstance(note, str) else ""), pages=tuple(pages),
                   plan=data["plan"] if isinstance(data.get("plan"), str) else "")


@dataclass(frozen=True, slots=True)
class OwnBlock:
    """The writer's own words: a section heading (kind HEADING) or a paragraph (OWN_TEXT). Never a quote."""

    kind: str
    number: int  # unique among the basket's own blocks; the key is "{kind}:{number}"
    text: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.number}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "number": self.number, "text": self.text}

    @classmethod
    def from_dict(cls, data) -> "OwnBlock | None":
        """The block as cleaned from anything the browser sent; None when it holds no text."""
        data = data if isinstance(data, dict) else {}
        kind, number, text = data.get("kind"), data.get("number"), data.get("text")
        if kind not in (HEADING, OWN_TEXT) or not isinstance(text, str):
            return None
        number = number if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 10**6 else 0
        text = clean_own(kind, text)
        return cls(kind, number, text) if text else None


Entry = BasketItem | OwnBlock


def basket_key(doc: str, start: int, end: int) -> str:
    """Identifies a quote: the same (doc, start, end) is the same quote. Buttons carry this, never text."""
    return f"{doc}@{start}-{end}"


def clean_note(note: str) -> str:
    """A note as kept: control characters dropped, at most MAX_NOTE_CHARS characters."""
    return _CONTROL.sub("", note or "").strip()[:MAX_NOTE_CHARS]


def clean_own(kind: str, text: str) -> str:
    """Own text as kept: control characters dropped; a heading is one line of MAX_HEADING_CHARS at most,
    a paragraph keeps its line breaks (each line is a paragraph of the export) up to MAX_OWN_CHARS."""
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    if kind == HEADING:
        return " ".join(text.split())[:MAX_HEADING_CHARS]
    return "\n".join(line.strip() for line in text.strip().split("\n") if line.strip())[:MAX_OWN_CHARS]


def answer_excerpts(answer: Answer) -> list[Excerpt]:
    """What of an answer can go into the basket: each quoted sentence, then each cited passage whole;
    for an abstention, each "可能相关" passage whole (shown as such, never as an answer)."""
    if answer.abstained:
        return [Excerpt(h.chunk.text, h.chunk.start, h.chunk.end, h.chunk) for h in answer.related]
    chunks = {c.number: c.chunk for c in answer.citations}
    quotes = [Excerpt(q.text, q.start, q.end, chunks[q.citation]) for q in answer.quotes if q.citation in chunks]
    passages = [Excerpt(c.chunk.text, c.chunk.start, c.chunk.end, c.chunk) for c in answer.citations]
    return quotes + passages


@dataclass(frozen=True, slots=True)
class Section:
    heading: OwnBlock | None  # None for the lead
    entries: tuple[Entry, ...]

    @property
    def key(self) -> str:
        return self.heading.key if self.heading else LEAD


@dataclass(frozen=True, slots=True)
class Basket:
    """The draft: quotes and own blocks in reading order. `items` are the quotes alone; len() counts them."""

    entries: tuple[Entry, ...] = ()

    @property
    def items(self) -> tuple[BasketItem, ...]:
        return tuple(entry for entry in self.entries if isinstance(entry, BasketItem))

    @property
    def own(self) -> tuple[OwnBlock, ...]:
        return tuple(entry for entry in self.entries if isinstance(entry, OwnBlock))

    def __len__(self) -> int:
        return len(self.items)

    def find(self, key: str) -> Entry | None:
        return next((entry for entry in self.entries if entry.key == key), None)

    def add(self, item: BasketItem) -> "Basket":
        """The basket with `item` at the end; unchanged when it already holds the same quote."""
        if self.find(item.key):
            return self
        if len(self.items) >= MAX_ITEMS:
            raise BasketFull(f"素材篮最多存放 {MAX_ITEMS} 条引文，请先导出或删除一些")
        return Basket(self.entries + (item,))

    def write(self, kind: str, text: str) -> "Basket":
        """The basket with a new heading or own paragraph at the end. RagError when `text` is empty."""
        if kind not in (HEADING, OWN_TEXT):
            raise ValueError(f"kind must be {HEADING!r} or {OWN_TEXT!r}, not {kind!r}")
        text = clean_own(kind, text)
        if not text:
            raise RagError("请先写下小标题" if kind == HEADING else "请先写下这段文字")
        if len(self.own) >= MAX_OWN:
            raise BasketFull(f"素材篮最多存放 {MAX_OWN} 个小标题和自拟段落")
        number = max((block.number for block in self.own), default=0) + 1
        return Basket(self.entries + (OwnBlock(kind, number, text),))

    def edit(self, key: str, text: str) -> "Basket":
        """An own block's new text; a quote, or text that is empty once cleaned, changes nothing."""
        block = self.find(key)
        if not isinstance(block, OwnBlock) or not clean_own(block.kind, text):
            return self
        return Basket(tuple(replace(e, text=clean_own(e.kind, text)) if e is block else e for e in self.entries))

    def remove(self, key: str) -> "Basket":
        """Without the entry; a heading removed leaves its entries to the section before."""
        return Basket(tuple(entry for entry in self.entries if entry.key != key))

    def annotate(self, key: str, note: str) -> "Basket":
        return Basket(tuple(
            replace(e, note=clean_note(note)) if isinstance(e, BasketItem) and e.key == key else e for e in self.entries
        ))

    def move(self, key: str, offset: int) -> "Basket":
        """The entry moved `offset` places (-1 up, +1 down), stopping at either end.

        A quote or paragraph moved past a heading changes section; a heading moves with its
        whole section, past the neighbouring sections (the lead stays first).
        """
        entry = self.find(key)
        if entry is None:
            return self
        if isinstance(entry, OwnBlock) and entry.kind == HEADING:
            sections = self.sections()
            at = next(i for i, section in enumerate(sections) if section.key == key)
            sections.insert(max(1, min(len(sections) - 1, at + offset)), sections.pop(at))
            return Basket(_flatten(sections))
        entries = list(self.entries)
        at = entries.index(entry)
        entries.insert(max(0, min(len(entries) - 1, at + offset)), entries.pop(at))
        return Basket(tuple(entries))

    def move_to(self, key: str, section_key: str) -> "Basket":
        """A quote or paragraph moved to the end of the section `section_key` (LEAD or a heading's key)."""
        entry = self.find(key)
        if entry is None or (isinstance(entry, OwnBlock) and entry.kind == HEADING):
            return self
        sections = Basket(tuple(e for e in self.entries if e is not entry)).sections()
        if not any(section.key == section_key for section in sections):
            return self
        return Basket(_flatten(
            replace(s, entries=s.entries + (entry,)) if s.key == section_key else s for s in sections
        ))

    def sections(self) -> list[Section]:
        """The lead (maybe empty), then one section per heading, in order."""
        sections: list[Section] = []
        heading, members = None, []
        for entry in self.entries:
            if isinstance(entry, OwnBlock) and entry.kind == HEADING:
                sections.append(Section(heading, tuple(members)))
                heading, members = entry, []
            else:
                members.append(entry)
        return [*sections, Section(heading, tuple(members))]

    def merged(self, later: "Basket") -> "Basket":
        """This basket, then what `later` adds to it (quotes it holds skipped, own blocks renumbered), within the limits."""
        entries, keys, owned = list(self.entries), {item.key for item in self.items}, len(self.own)
        number = max((block.number for block in self.own), default=0)
        for entry in later.entries:
            if isinstance(entry, BasketItem):
                if entry.key in keys or len(keys) >= MAX_ITEMS:
                    continue
                keys.add(entry.key)
            else:
                if owned >= MAX_OWN:
                    continue
                owned, number = owned + 1, number + 1
                entry = replace(entry, number=number)
            entries.append(entry)
        return Basket(tuple(entries))

    def to_json(self) -> list[dict]:
        return [entry.to_dict() for entry in self.entries]

    @classmethod
    def from_json(cls, data) -> "Basket":
        """The basket as stored, trusting its metadata; for data that did not leave the server."""
        entries = []
        for entry in data or ():
            own = isinstance(entry, dict) and entry.get("kind") in (HEADING, OWN_TEXT)
            entries.append(OwnBlock.from_dict(entry) if own else BasketItem.from_dict(entry))
        return cls(tuple(entry for entry in entries if entry is not None))

    @classmethod
    def restore(cls, data, source) -> tuple["Basket", int]:
        """The basket rebuilt from the index (`source`: an ExcerptSource), and how many quotes were dropped.

        A quote: only doc, start, end, text and note are read from `data`; the text must equal the
        index's slice, and the quote itself, committee, report and section come from the index.
        An entry of kind "heading" or "text" comes back as own text (cleaned, renumbered), never
        as a quote, whatever else it carries.
        """
        entries: list[Entry] = []
        keys: set[str] = set()
        dropped = owned = 0
        for entry in data if isinstance(data, list) else ():
            entry = entry if isinstance(entry, dict) else {}
            if entry.get("kind") in (HEADING, OWN_TEXT):
                block = OwnBlock.from_dict(entry)
                if block is not None and owned < MAX_OWN:
                    owned += 1
                    entries.append(replace(block, number=owned))
                continue
            excerpt = source.resolve(entry.get("doc"), entry.get("start"), entry.get("end"))
            if excerpt is None or excerpt.text != entry.get("text") or len(keys) >= MAX_ITEMS:
                dropped += 1
                continue
            note = entry.get("note")
            item = BasketItem.from_excerpt(excerpt, note if isinstance(note, str) else "")
            if item.key not in keys:
                keys.add(item.key)
                entries.append(item)
        return cls(tuple(entries)), dropped


def _flatten(sections) -> tuple[Entry, ...]:
    return tuple(entry for section in sections for entry in ((section.heading,) if section.heading else ()) + section.entries)
