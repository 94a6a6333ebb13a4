"""政协报告问答: cited retrieval over CPPCC work reports.

Pipeline, one module a stage: readers (file -> text), ingest (text -> Report), chunk
(Report -> Chunk), embed, index (build/open), retrieve (question -> SearchResult),
assistant (question -> cited Answer).
"""

from rag.assistant import open_retriever
from rag.config import Settings
from rag.errors import BadDocument, BadQuestion, IndexCorrupt, IndexNotFound, ManifestMismatch, RagError
from rag.index import BuildReport, Index, build_index
from rag.records import Chunk, Hit, Paragraph, Report, ReportMeta, SearchFilter, SearchResult
from rag.retrieve import Retriever

__all__ = [
    "BadDocument", "BadQuestion", "BuildReport", "Chunk", "Hit", "Index", "IndexCorrupt", "IndexNotFound",
    "ManifestMismatch", "Paragraph", "RagError", "Report", "ReportMeta", "Retriever", "SearchFilter",
    "SearchResult", "Settings", "build_index", "open_retriever",
]
