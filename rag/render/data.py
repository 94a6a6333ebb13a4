"""Search results and answers -> plain JSON-ready dicts: what `rag search --json(l)`, `rag ask --json(l)`
and the API print. Field names are stable: answers are measured from outside through them."""

from __future__ import annotations

from rag.cite import full_reference
from rag.records import Answer, Chunk, SearchResult


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
                "citation": full_reference(chunks[q.citation]),
                "page": chunks[q.citation].pages[0] if chunks[q.citation].pages else None,
            }
            for q in answer.quotes
        ],
        "citations": [{"number": c.number, **passage_json(c.chunk)} for c in answer.citations],
        "related": [passage_json(h.chunk) for h in answer.related],
        **({"checks": [{"text": c.text, "supported": c.supported, "problems": list(c.problems)} for c in answer.checks]}
           if answer.checks else {}),
    }
