"""政协报告问答: cited retrieval over CPPCC work reports.

Pipeline, one module a stage: load (file -> text), ingest (text -> Report), chunk
(Report -> Chunk), embed, index (build/load), retrieve (question -> SearchResult).
"""

from rag.config import Settings
from rag.errors import BadDocument, BadQuestion, IndexCorrupt, IndexNotFound, ManifestMismatch, RagError
from rag.index import BuildReport, Index, build_index
from rag.pipeline import open_retriever
from rag.records import Chunk, Hit, Paragraph, Report, ReportMeta, SearchFilter, SearchResult
from rag.retrieve import Retriever

__all__ = [
    "BadDocument", "BadQuestion", "BuildReport", "Chunk", "Hit", "Index", "IndexCorrupt", "IndexNotFound",
    "ManifestMismatch", "Paragraph", "RagError", "Report", "ReportMeta", "Retriever", "SearchFilter",
    "SearchResult", "Settings", "build_index", "open_retriever",
]
