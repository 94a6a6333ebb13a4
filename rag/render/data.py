"""Search results, answers, overviews and reports -> plain JSON-ready dicts: what `rag search --json(l)`,
`rag ask --json(l)`, `rag overview --json` and the HTTP API (rag.api) print. Field names are stable:
answers are measured from outside through them."""

from __future__ import annotations

from dataclasses import replace

from rag.chunk import item_headings
from rag.cite import full_reference
from rag.overview import Overview
from rag.period import plan_label
from rag.records import Answer, Chunk, Excerpt, ReportMeta, SearchResult


def passage_json(chunk: Chunk) -> dict:
    return {
        "doc": chunk.doc,
        "report_id": chunk.report_id,
        "committee": chunk.committee,
        "short_name": chunk.short_name,
        "title": chunk.title,
        "year": chunk.year,
        "heading": chunk.heading,
        "paragraph": chunk.paragraph,
        "page": chunk.pages[0] if chunk.pages else None,  # the page it starts on; None: not a paged document
        "pages": list(chunk.pages),
        "ocr_confidence": chunk.ocr_confidence,  # None unless the passage was read by OCR
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
    }


def search_json(result: SearchResult) -> dict:
    return {
        "question": result.question,
        "abstain": result.abstain,
        **({"reason": result.reason} if result.reason else {}),
        **({"reading": result.reading} if result.reading else {}),
        "hits": [{**passage_json(h.chunk), "score": h.score} for h in result.hits],
    }


def answer_json(answer: Answer) -> dict:
    """The Answer: its text, whether it declined and why, how sure it is, each quote with its exact
    place in its report file, and the numbered passages the [n] markers point to."""
    chunks = {c.number: c.chunk for c in answer.citations}
    return {
        "question": answer.question,
        "standalone": answer.standalone,
        "text": answer.text,
        "abstained": answer.abstained,
        "verdict": answer.verdict,
        "reason": answer.reason,
        "confidence": answer.confidence,
        "reading": answer.reading,
        "backend": answer.backend,
        "quotes": [
            {
                "text": q.text,
                "doc": chunks[q.citation].doc,
                "start": q.start,
                "end": q.end,
                "number": q.citation,
                "citation": full_reference(replace(chunks[q.citation], headings=item_headings(chunks[q.citation], q.start))),
                "page": chunks[q.citation].pages[0] if chunks[q.citation].pages else None,
            }
            for q in answer.quotes
        ],
        "citations": [{"number": c.number, **passage_json(c.chunk)} for c in answer.citations],
        "related": [passage_json(h.chunk) for h in answer.related],
        **({"checks": [{"text": c.text, "supported": c.supported, "problems": list(c.problems)} for c in answer.checks]}
           if answer.checks else {}),
    }


def citations_json(answer: Answer) -> list[dict]:
    """The sources of an answer's [n] markers, one per number, for the chat API (rag.api.chat).

    `text`, `start` and `end` are what the answer quotes from the passage: `text ==
    decoded_file[start:end]`. Where it quotes two sentences of one passage they span from the
    first to the last, and `quotes` lists each; a language model's answer quotes no sentence
    exactly, so its citations give the whole passage.
    """
    rows = []
    for citation in answer.citations:
        chunk = citation.chunk
        quotes = [{"text": q.text, "start": q.start, "end": q.end} for q in answer.quotes if q.citation == citation.number]
        quotes = sorted(quotes, key=lambda q: q["start"]) or [{"text": chunk.text, "start": chunk.start, "end": chunk.end}]
        start, end = quotes[0]["start"], max(q["end"] for q in quotes)
        rows.append({
            "number": citation.number,
            **_source_json(chunk),
            "text": quotes[0]["text"] if len(quotes) == 1 else _slice(chunk, start, end),
            "start": start,
            "end": end,
            "quotes": quotes,
        })
    return rows


def excerpt_json(excerpt: Excerpt) -> dict:
    """A quoted sentence of an overview: `text == decoded_file[start:end]`; `plan` is "" for a result,
    "2025年计划" and the like for a sentence of a plan (rag.period), never to be read as done."""
    return {**_source_json(excerpt.chunk), "text": excerpt.text, "start": excerpt.start, "end": excerpt.end,
            "plan": plan_label(excerpt.chunk)}


def overview_json(overview: Overview) -> dict:
    """A topic table, the figure finder's list or two committees side by side: one row per committee,
    results ("figures": sentences holding a figure, "practices") apart from "plans"; empty lists
    where the committee's reports do not mention the theme."""
    return {
        "theme": overview.theme.name,
        "kind": overview.kind,
        "rows": [
            {
                "short_name": row.short_name,
                "committee": row.committee,
                "reports": [report_json(meta) for meta in row.reports],
                "figures": [excerpt_json(e) for e in row.figures],
                "practices": [excerpt_json(e) for e in row.practices],
                "plans": [excerpt_json(e) for e in row.plans],
            }
            for row in overview.rows
        ],
    }


def report_json(meta: ReportMeta, passages: int | None = None) -> dict:
    """A report's identity as corpus/reports.toml holds it, with its passage count when given."""
    row = {"file": meta.file, "committee": meta.committee, "short_name": meta.short_name, "title": meta.title,
           "year": meta.year, "kind": meta.kind, "aliases": list(meta.aliases)}
    return row if passages is None else {**row, "passages": passages}


def _source_json(chunk: Chunk) -> dict:
    """Where a passage is: report, section path, paragraph, the page where the document has pages, and its citation line."""
    return {
        "doc": chunk.doc,
        "committee": chunk.committee,
        "short_name": chunk.short_name,
        "title": chunk.title,
        "year": chunk.year,
        "section": chunk.heading,
        "paragraph": chunk.paragraph,
        **({"page": chunk.pages[0], "pages": list(chunk.pages)} if chunk.pages else {}),
        "reference": full_reference(chunk),
    }


def _slice(chunk: Chunk, start: int, end: int) -> str:
    """decoded_file[start:end] for offsets inside `chunk` (whose text is decoded_file[chunk.start:chunk.end])."""
    return chunk.text[start - chunk.start : end - chunk.start]
