"""Text from a report or a user -> Markdown or HTML that shows it as text; and the app's CSS and JavaScript.

Everything that comes from a report or from the user is escaped here, so an uploaded report
holding `<img onerror=…>` or `[link](http://…)` is shown as text, never run or linked:
HTML gets `html.escape`, chat Markdown gets a backslash before every Markdown special.
"""

from __future__ import annotations

import html
import re
from importlib.resources import files

# Every character Markdown (CommonMark + GFM autolinks, KaTeX "$") may read as syntax. The
# ":", "@" and "." escapes stop GFM from turning "http://x", "www.x" or "a@b.cn" into links.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$<>&:@=\"'])")


def markdown_text(text: str) -> str:
    """`text` as Markdown that renders to exactly `text`: every special character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def html_text(text: str) -> str:
    """`text` for HTML content or a quoted attribute value."""
    return html.escape(text, quote=True)


def notice_html(message: str) -> str:
    """A panel holding one line of ours instead of content: "提问后…", "无法生成：…"."""
    return f'<div class="rag-sources"><div class="rag-sources-head">{html_text(message)}</div></div>'


def static_text(name: str) -> str:
    """A file of rag/render/static/ (CSS, JavaScript), as installed with the package."""
    return files("rag.render").joinpath("static", name).read_text(encoding="utf-8")


def plan_tag(label: str) -> str:
    """The "2025年计划" tag of a passage from a plan section (rag.period.plan_label), or "": the report's
    year on a card says when it was written, this says that the passage is a plan, not work done."""
    if not label:
        return ""
    return f'<span class="rag-plan" title="出自工作安排或谋划：是计划，不是已完成的工作">{html_text(label)}</span>'
