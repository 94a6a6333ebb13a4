"""The side panel: index status, upload results and the choices of the search filters."""

from __future__ import annotations

import re

from rag.records import ReportMeta
from rag.render.markup import markdown_text

_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s:：]+)+[\\/]([^\\/\s:：]+)")


def status_markdown(status) -> str:
    """The index status panel (an Assistant's `Status`): reports, chunks, embedder, when it was built and how long it took."""
    lines = [
        "**索引状态**",
        f"- 回答方式：{markdown_text(status.answerer)}",
        f"- 报告：{status.reports} 份（{status.files} 个文件）",
        f"- 段落：{status.chunks} 个",
        f"- 向量模型：{markdown_text(status.embedder)}",
    ]
    if status.dense:
        lines.append(f"- 检索：{markdown_text(status.dense)} 向量 \\+ BM25")
    built = status.built.replace("T", " ").replace("Z", " UTC").strip()
    if built:
        took = f"，用时 {status.build_seconds:.1f} 秒" if isinstance(status.build_seconds, (int, float)) else ""
        lines.append(f"- 建立时间：{markdown_text(built)}{took}")
    if status.failed:
        lines.append(f"- 未能读取：{markdown_text('、'.join(status.failed))}")
    return "\n".join(lines)


def upload_added_markdown(file_name: str, reports: list[ReportMeta], passages: int) -> str:
    """'已加入：file（committee《title》），N 个段落'."""
    names = "；".join(f"{m.short_name}《{m.title}》" for m in reports)
    what = f"{file_name}（{names}）" if names else file_name
    return markdown_text(f"已加入：{what}，{passages} 个段落")


def upload_read_markdown(file_name: str) -> str:
    """'已读取：file。请核对下方的报告信息…'."""
    return markdown_text(f"已读取：{file_name}。请核对下方的报告信息，确认后加入索引。")


def upload_failed_markdown(message: str) -> str:
    """'上传失败：reason', with server-side paths cut to the file name."""
    return markdown_text("上传失败：" + _PATH.sub(r"\1", message))


def filter_choices(reports: dict[str, ReportMeta]) -> tuple[list[str], list[int], list[tuple[str, str]]]:
    """Choices of the three filters: committee short names, years, and (title, report_id) pairs."""
    committees = sorted({m.short_name for m in reports.values()})
    years = sorted({m.year for m in reports.values() if m.year}, reverse=True)
    titles = [m.title for m in reports.values()]
    options = [
        (m.title if titles.count(m.title) == 1 else f"{m.title}（{m.short_name}）", rid)
        for rid, m in sorted(reports.items(), key=lambda item: (item[1].short_name, item[0]))
    ]
    return committees, years, options
