"""政协报告问答: the Gradio chat app over rag.pipeline.Assistant; rendering lives in rag.render.

Environment: RAG_CORPUS (corpus), RAG_INDEX (index, built on first start if missing or stale),
RAG_EMBEDDER (as for the CLI), RAG_GENERATOR (a language model, see rag.generate; default none), RAG_HOST (127.0.0.1), RAG_PORT (7860), RAG_CONCURRENCY (answers in parallel, default 16: bench/README.md "Load"), RAG_USER/RAG_PASSWORD (login; required when RAG_HOST is
not a loopback address).
"""

from __future__ import annotations

import os

# Before gradio (and huggingface_hub) are imported: they read these at import time.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

import inspect
import logging
import time
from dataclasses import replace
from pathlib import Path

import gradio as gr

from rag import render
from rag.config import Settings
from rag.errors import RagError
from rag.pipeline import MAX_UPLOAD_BYTES, Assistant
from rag.records import SearchFilter

log = logging.getLogger("app_gradio")

EXAMPLES = [
    "金湖县政协提案立案多少件？",
    "各地政协提案办理情况如何？",
    "镇江市政协新增设了哪个界别？",
    "How many cloud consultations did Hai'an hold?",
]
UPLOAD_TYPES = [".txt", ".md", ".docx", ".pdf", ".html", ".htm"]
STREAM_DELAY_S = 0.02
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Gradio 6 moved css (and the API link switch) from Blocks() to launch().
_LAUNCH_OPTIONS = inspect.signature(gr.Blocks.launch).parameters


def open_assistant() -> Assistant:
    settings = Settings()
    if os.environ.get("RAG_EMBEDDER"):
        settings = replace(settings, embedder=os.environ["RAG_EMBEDDER"])
    if os.environ.get("RAG_GENERATOR"):
        settings = replace(settings, generator=os.environ["RAG_GENERATOR"])
    if os.environ.get("RAG_VECTOR_STORE"):
        settings = replace(settings, vector_store=os.environ["RAG_VECTOR_STORE"])
    corpus = Path(os.environ.get("RAG_CORPUS", "corpus"))
    index = Path(os.environ.get("RAG_INDEX", "index"))
    log.info("opening the index at %s (built from %s if missing or stale)", index, corpus)
    return Assistant.open(
        corpus, index, settings, on_build=lambda r: log.info("index built: %d chunks in %.1f s", r.chunks, r.seconds)
    )


def _user_message(exc: Exception) -> str:
    if isinstance(exc, RagError):
        return str(exc)
    log.exception("internal error")
    return f"内部错误（{type(exc).__name__}），详情见服务器日志"


def build_ui(assistant: Assistant) -> gr.Blocks:
    committees, years, reports = render.filter_choices(assistant.retriever.reports)

    def ask(question, chat, asked, committee_filter, year_filter, report_filter):
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat = list(chat or []) + [{"role": "user", "content": question}, {"role": "assistant", "content": "正在检索…"}]
        yield "", chat, asked, gr.skip()
        where = SearchFilter(
            frozenset(committee_filter or ()), frozenset(int(y) for y in year_filter or ()), frozenset(report_filter or ())
        )
        written = ""
        try:
            for item in assistant.ask_stream(question, previous=list(asked or []), where=where):
                if isinstance(item, str) and assistant.generator is not None:  # a model writing: show it as it comes
                    written += item
                    chat[-1] = {"role": "assistant", "content": render.markdown_text(written)}
                    yield "", chat, asked, gr.skip()
                elif not isinstance(item, str):
                    answer = item
        except Exception as exc:  # a RagError says what to fix; anything else is ours, logged in full
            chat[-1] = {"role": "assistant", "content": render.error_markdown(_user_message(exc))}
            yield "", chat, asked, gr.skip()
            return
        asked = list(asked or []) + [question]
        # The finished answer replaces the raw stream: with verification marks, or the extractive fallback.
        for prefix in render.stream_prefixes(render.answer_markdown(answer))[-1 if written else 0 :]:
            chat[-1] = {"role": "assistant", "content": prefix}
            yield "", chat, asked, gr.skip()
            time.sleep(STREAM_DELAY_S)
        # The cards come with the last step, so they always belong to the finished answer.
        yield "", chat, asked, render.source_cards_html(answer)

    def new_chat():
        return [], [], render.empty_sources_html(), ""

    def upload(path):
        if not path:
            return (gr.skip(),) * 6
        path = Path(path)
        try:
            report = assistant.add_report(path, path.name)
        except Exception as exc:
            return render.upload_failed_markdown(_user_message(exc)), None, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        retriever = assistant.retriever
        metas = [meta for meta in retriever.reports.values() if meta.file in report.added]
        passages = sum(1 for chunk in retriever.index.chunks if chunk.doc in report.added)
        new_committees, new_years, new_reports = render.filter_choices(retriever.reports)
        return (
            render.upload_added_markdown("、".join(report.added) or path.name, metas, passages),
            None,  # empty the drop zone for the next file
            gr.Dropdown(choices=new_committees),
            gr.Dropdown(choices=new_years),
            gr.Dropdown(choices=new_reports),
            render.status_markdown(assistant.status()),
        )

    styling = {} if "css" in _LAUNCH_OPTIONS else {"css": render.SOURCES_CSS}
    with gr.Blocks(title="政协报告问答", **styling) as demo:
        gr.Markdown("## 政协报告问答\n每句回答都摘自报告原文，[n] 对应下方的来源段落。")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(elem_id="chat", label="对话", height=520, latex_delimiters=[], buttons=[])
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question", show_label=False, placeholder="输入问题，例如：金湖县政协提案立案多少件？", scale=5
                    )
                    send = gr.Button("发送", variant="primary", elem_id="send", scale=1)
                    clear = gr.Button("新对话", elem_id="new-chat", scale=1)
                gr.Examples(EXAMPLES, inputs=[question], label="示例问题")
                sources = gr.HTML(render.empty_sources_html(), elem_id="sources", js_on_load=None)
            with gr.Column(scale=1):
                with gr.Accordion("筛选范围（不选即全部）", open=True):
                    committee_filter = gr.Dropdown(
                        committees, value=[], multiselect=True, label="政协", elem_id="filter-committee"
                    )
                    year_filter = gr.Dropdown(years, value=[], multiselect=True, label="年份", elem_id="filter-year")
                    report_filter = gr.Dropdown(
                        reports, value=[], multiselect=True, label="报告", elem_id="filter-report"
                    )
                upload_box = gr.File(label="上传报告（.txt .md .docx .pdf .html）", file_types=UPLOAD_TYPES, elem_id="upload")
                upload_status = gr.Markdown("", elem_id="upload-status")
                status = gr.Markdown(render.status_markdown(assistant.status()), elem_id="status")
        asked = gr.State([])

        inputs = [question, chat, asked, committee_filter, year_filter, report_filter]
        outputs = [question, chat, asked, sources]
        question.submit(ask, inputs, outputs, show_progress="hidden")
        send.click(ask, inputs, outputs, show_progress="hidden")
        clear.click(new_chat, None, [chat, asked, sources, question], queue=False)
        chat.clear(new_chat, None, [chat, asked, sources, question], queue=False)  # the chat's own bin icon
        refreshed = [upload_status, upload_box, committee_filter, year_filter, report_filter, status]
        upload_box.upload(upload, [upload_box], refreshed, concurrency_limit=1)  # one index write at a time
    return demo


def login(host: str) -> tuple[str, str] | None:
    """Gradio auth from RAG_USER (default "staff") and RAG_PASSWORD.

    On 127.0.0.1 the app is open to this machine only and a password is optional. Any other
    RAG_HOST exposes the app, its uploads included, to a network: it then refuses to start
    without RAG_PASSWORD.
    """
    password = os.environ.get("RAG_PASSWORD", "")
    if not password and host not in LOOPBACK:
        raise SystemExit(
            f"error: RAG_HOST={host} exposes the app to the network; set RAG_PASSWORD (and RAG_USER) "
            "so that questions and uploads need a login, or keep RAG_HOST=127.0.0.1"
        )
    return (os.environ.get("RAG_USER", "staff"), password) if password else None


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    host = os.environ.get("RAG_HOST", "127.0.0.1")
    port = int(os.environ.get("RAG_PORT", "7860"))
    auth = login(host)
    try:
        assistant = open_assistant()
    except RagError as exc:
        raise SystemExit(f"error: {exc}") from None
    demo = build_ui(assistant)
    options = dict(server_name=host, server_port=port, ssr_mode=False, max_file_size=MAX_UPLOAD_BYTES, auth=auth)
    if "css" in _LAUNCH_OPTIONS:
        options["css"] = render.SOURCES_CSS
    if "show_api" in _LAUNCH_OPTIONS:  # Gradio 5; Gradio 6 hides the API link through footer_links
        options["show_api"] = False
    elif "footer_links" in _LAUNCH_OPTIONS:
        options["footer_links"] = ["gradio", "settings"]
    demo.queue(default_concurrency_limit=int(os.environ.get("RAG_CONCURRENCY", "16"))).launch(**options)


if __name__ == "__main__":
    main()
