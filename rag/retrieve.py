"""question -> SearchResult: dense (rag.store) and BM25 ranks fused, scoped to the committees named, with abstention.

Ranking, decided on the dev set (numbers in bench/README.md):
1. Dense: e5 cosine over the normalised question and the chunks' matching text.
2. BM25 over jieba tokens of the same normalised text.
3. Reciprocal-rank fusion of the two lists.
4. Scope: when the question names committees of the corpus ("金湖县", "Hai'an"), their
   chunks rank first, taking turns when several are named, so a question about two
   committees shows both; otherwise the fused order stands.

Abstention ("the reports don't say") is decided by `_should_abstain`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from rag.committees import Committees, Naming
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.embed import Embedder
from rag.errors import BadQuestion
from rag.index import Index
from rag.lexicon import chinese_terms_for_english
from rag.records import Hit, ReportMeta, SearchFilter, SearchResult
from rag.text import GENERIC_WORDS, YEAR, is_mostly_english, matching_text, normalize, tokenize

_SHORT_QUESTION_TERMS = 5
_QUERY_VECTORS = 16  # more than the committees a cross-committee question searches (rag.answer.MAX_COMMITTEES)
_MISSING_SHARE_TO_ABSTAIN = 3  # abstain when at least 1 in 3 terms is missing
_BM25_MAX_DF = 0.7  # share of chunks above which a token is left out of the BM25 query
_COUNTED = re.compile(r"[一二三四五六七八九十两几多\d]+[个件次名位项家篇条批场人年]")


@dataclass(frozen=True, slots=True)
class _Scored:
    row: int
    score: float
    dense: float


class Retriever:
    """Holds a loaded index and its embedder; `search` is safe to call from several threads."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.reports = index.reports()
        self.committees = Committees(self.reports)
        self._aliases = self.committees.aliases
        self._report_rows = index.chunks.report_rows()
        self._vocab = set(index.bm25.vocab_dict)
        self._num_docs = int(index.bm25.scores["num_docs"])
        # The same text is searched again at once: a cross-committee question in each committee's
        # reports (rag.answer.committee_hits), a theme in each report (rag.overview). Embedding
        # is nearly all of a search, so the last few query vectors are kept.
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()
        self._report_text = None
        if len(index.chunks) <= settings.exact_threshold:
            self._report_text = {
                rid: "\n".join(matching_text(index.chunks[r]) for r in rows) for rid, rows in self._report_rows.items()
            }

    def search(self, question: str, top_k: int | None = None, where: SearchFilter | None = None) -> SearchResult:
        question = check_question(question)
        top_k = top_k or self.settings.top_k
        written = normalize(question)
        naming = self.committees.read(written)
        # Misspelt committee names are searched as read, so that dense and BM25 see the real name.
        for misspelt, read in naming.readings:
            written = written.replace(misspelt, read)
        normalized = written
        if is_mostly_english(written):
            normalized = f"{written} {' '.join(chinese_terms_for_english(written))}"
        allowed = self._allowed_rows(where)
        named = list(naming.report_ids)
        ranked = self._fuse(normalized, allowed)
        ranked = _scope(ranked, named, self.index.chunks)
        sentences = self.index.sentences
        query = self._query_vector(normalized) if sentences is not None else None
        hits = tuple(
            Hit(self.index.chunks[s.row], round(s.score, 6), sentences.similarities(s.row, query) if query is not None else ())
            for s in ranked[:top_k]
        )
        # Only words the asker wrote can be missing facts: a glossary translation of an English
        # word is one guess among several, and a report lacking it lacks no fact.
        missing = self._missing_terms(written, named)
        abstain, reason = _should_abstain(ranked[:top_k], naming, missing)
        return SearchResult(question=question, hits=hits, abstain=abstain, reason=reason, reading=naming.reading_note)

    def naming(self, normalized: str) -> Naming:
        """The committees a normalised question names (misspelt ones included) and those it lacks."""
        return self.committees.read(normalized)

    def _fuse(self, normalized: str, allowed: np.ndarray | None) -> list[_Scored]:
        n = len(self.index.chunks)
        depth = min(n, self.settings.candidates if allowed is None else max(self.settings.candidates, 4 * self.settings.candidates))
        dense_rows, dense_scores = self._dense(normalized, depth, allowed)
        bm25_rows = self._bm25(normalized, depth, allowed)
        k = self.settings.rrf_k
        fused: dict[int, float] = {}
        for rank, row in enumerate(dense_rows):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
        for rank, row in enumerate(bm25_rows):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
        dense_of = dict(zip(dense_rows, dense_scores))
        ranked = [_Scored(row, score, dense_of.get(row, 0.0)) for row, score in fused.items()]
        ranked.sort(key=lambda s: (-s.score, -s.dense, s.row))
        return ranked

    def _dense(self, normalized: str, depth: int, allowed: np.ndarray | None) -> tuple[list[int], list[float]]:
        query = self._query_vector(normalized).reshape(1, -1)
        scores, rows = self.index.store.search(query, depth, allowed)
        keep = rows[0] >= 0
        return rows[0][keep].tolist(), scores[0][keep].tolist()

    def _query_vector(self, normalized: str) -> np.ndarray:
        with self._query_lock:
            vector = self._query_vectors.get(normalized)
            if vector is not None:
                self._query_vectors.move_to_end(normalized)
                return vector.copy()
        vector = self.embedder.embed_query(normalized)
        with self._query_lock:
            self._query_vectors[normalized] = vector.copy()
            while len(self._query_vectors) > _QUERY_VECTORS:
                self._query_vectors.popitem(last=False)
        return vector

    def _bm25(self, normalized: str, depth: int, allowed: np.ndarray | None) -> list[int]:
        # A token in most chunks ("政协" is in every matching text) adds almost nothing to the
        # ranking but costs a posting list as long as the index: 10 ms a query at 10^6 chunks.
        tokens = [t for t in tokenize(normalized) if t in self._vocab and self._df(t) <= _BM25_MAX_DF * self._num_docs]
        if not tokens:
            return []
        scores = self.index.bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argpartition(-scores, min(depth, len(scores) - 1))[:depth]
        top = top[scores[top] > 0]
        return top[np.argsort(-scores[top], kind="stable")].tolist()

    def _missing_terms(self, normalized: str, named: list[str]) -> list[str]:
        """Terms of a short question about named committees that none of their reports contains.

        "杜集区政协2024年提案立案了多少件？" has two terms, 2024 and 立案, and 杜集's 2025
        plan has neither: the nearest passages would be about something else. Long
        questions are exempt: paraphrases and colloquial questions use many words no report has.
        """
        if not named:
            return []
        aliases = self._aliases
        terms = [
            t for t in dict.fromkeys(tokenize(normalized))
            if len(t) >= 2 and not t.isascii() or YEAR.fullmatch(t)
        ]
        terms = [
            t for t in terms
            if not any(t in a or a in t for a in aliases) and t not in GENERIC_WORDS and not _COUNTED.fullmatch(t)
        ]
        if len(terms) > _SHORT_QUESTION_TERMS:
            return []
        # A word no report uses is the asker's own wording ("嘉宾", "那块"), not a missing fact;
        # a report word absent from the named committee's report is.
        years = {str(self.reports[rid].year) for rid in named if self.reports[rid].year}
        missing = []
        for t in terms:
            having = self.reports_with(t)
            # A year the named reports neither cover nor mention is missing even if no report has it.
            if having.isdisjoint(named) and (having.difference(named) or (YEAR.fullmatch(t) and t not in years)):
                missing.append(t)
        return missing if len(missing) * _MISSING_SHARE_TO_ABSTAIN >= len(terms) else []

    def reports_with(self, term: str) -> set[str]:
        """The reports whose matching text contains `term`.

        Above `exact_threshold` chunks every report's text would take gigabytes, so the
        term's BM25 postings answer instead: the same answer for a whole jieba token, none
        for a term found only inside a longer token.
        """
        if self._report_text is not None:
            return {rid for rid, text in self._report_text.items() if term in text}
        column = self.index.bm25.vocab_dict.get(term)
        if column is None:
            return set()
        scores = self.index.bm25.scores
        rows = scores["indices"][scores["indptr"][column] : scores["indptr"][column + 1]]
        chunks = self.index.chunks
        return {chunks.report_ids[n] for n in np.unique(chunks.report_of_row[rows]).tolist()}

    def idf(self, term: str) -> float:
        """How rare a BM25 term is among the chunks (a term no chunk has gets the highest value)."""
        return float(np.log(1.0 + self._num_docs / (1.0 + self._df(term))))

    def _df(self, term: str) -> int:
        """How many chunks hold the BM25 term."""
        scores = self.index.bm25.scores
        column = self.index.bm25.vocab_dict.get(term)
        return 0 if column is None else int(scores["indptr"][column + 1] - scores["indptr"][column])

    def names_of(self, report_id: str) -> list[str]:
        """Every name a question may use for a report, longest first."""
        return self.committees.names_of(report_id)

    def _allowed_rows(self, where: SearchFilter | None) -> np.ndarray | None:
        if where is None or where.is_empty():
            return None
        mask = np.zeros(len(self.index.chunks), dtype=bool)
        for report_id, meta in self.reports.items():
            if where.admits(report_id, meta):
                mask[self._report_rows.get(report_id, [])] = True
        return mask

    def named_reports(self, normalized: str) -> list[str]:
        """Reports whose committee the question names, in the order named (misspelt names read as meant)."""
        return list(self.committees.read(normalized).report_ids)

def check_question(question: str) -> str:
    """The question stripped, or BadQuestion saying why it cannot be searched."""
    if not isinstance(question, str) or not question.strip():
        raise BadQuestion("the question is empty: type a question about the reports")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(question):,} characters long; ask in at most {MAX_QUESTION_CHARS:,}")
    return question



def _scope(ranked: list[_Scored], named: list[str], chunks) -> list[_Scored]:
    """Chunks of the named reports first (taking turns between them), then the rest in fused order."""
    if not named:
        return ranked
    per_report: dict[str, list[_Scored]] = {rid: [] for rid in named}
    rest = []
    for scored in ranked:
        bucket = per_report.get(chunks[scored.row].report_id)
        (bucket if bucket is not None else rest).append(scored)
    interleaved = []
    queues = [q for q in per_report.values() if q]
    while queues:
        for queue in queues:
            interleaved.append(queue.pop(0))
        queues = [q for q in queues if q]
    return interleaved + rest


def _should_abstain(top: list[_Scored], naming: Naming, missing: list[str]) -> tuple[bool, str]:
    """Abstain when the question is about a committee the corpus lacks (not one named as a
    partner), or asks a short question whose key terms the named committee's report never uses."""
    if naming.unknown_subjects and not naming.report_ids:
        return True, f"所收录的报告中没有{'、'.join(naming.unknown_subjects)}政协的报告"
    if not top:
        return True, "没有找到相关段落"
    if missing:
        return True, f"所涉委员会的报告中没有出现“{'”“'.join(missing)}”"
    return False, ""
