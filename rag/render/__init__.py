"""Answers, the basket, overviews and the index status -> the Markdown and HTML the app shows; pure strings, no Gradio.

One module per view: answer (chat message, plain text for the CLI, source cards), basket,
overview, status (side panel), page (the page's first script and its 使用说明); markup escapes
report and user text and reads the CSS and JavaScript under static/.
"""

from rag.render.answer import answer_markdown, answer_text, empty_sources_html, error_markdown, source_cards_html
from rag.render.basket import basket_count_markdown, basket_html, export_note_markdown
from rag.render.markup import markdown_text, notice_html, static_text
from rag.render.overview import empty_overview_html, figures_summary_markdown, overview_html, overview_text
from rag.render.status import (
    filter_choices, status_markdown, upload_added_markdown, upload_failed_markdown, upload_formats, upload_read_markdown,
)
from rag.render.page import FirstScript, help_markdown

APP_CSS = static_text("app.css")
ADD_TO_BASKET_JS = static_text("add_to_basket.js")
BASKET_JS = static_text("basket.js")

__all__ = [
    "ADD_TO_BASKET_JS", "APP_CSS", "BASKET_JS", "answer_markdown", "answer_text", "basket_count_markdown", "basket_html", "export_note_markdown",
    "empty_overview_html", "empty_sources_html", "error_markdown", "figures_summary_markdown", "filter_choices",
    "markdown_text", "notice_html", "overview_html", "overview_text", "source_cards_html", "status_markdown", "upload_added_markdown",
    "upload_failed_markdown", "upload_formats", "upload_read_markdown", "FirstScript", "help_markdown",
]
