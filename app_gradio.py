"""政协报告问答: the Gradio chat app over rag.assistant.Assistant: layout and wiring only; what the
handlers do lives in rag.workspace, the views in rag.render.

Three tabs: 问答 (the chat with source cards), 素材篮 (quotes collected from answers and
overviews, exported as .md and .docx; rag.basket) and 专题概览 (theme tables, the figure
finder and two committees side by side; rag.overview).

Environment: RAG_CORPUS (corpus), RAG_INDEX (index, built on first start if missing or stale),
RAG_EMBEDDER (as for the CLI), RAG_GENERATOR (a language model, see rag.generate; default none), RAG_HOST (127.0.0.1), RAG_PORT (7860), RAG_CONCURRENCY (answers in parallel, default 16: bench/README.md "Concurrent users"), RAG_USER/RAG_PASSWORD (login; required when RAG_HOST is
not a loopback address), RAG_BASKET_SECRET (key of the basket in the browser's localStorage;
see `build_ui`).
"""

from __future__ import annotations

import os

from rag.config import Settings, locations_from_env, use_offline_defaults

use_offline_defaults()  # before gradio (and huggingface_hub) are imported: they read these at import time

import inspect
import logging
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from rag import render, workspace
from rag.assistant import Assistant
from rag.basket import Basket
from rag.errors import RagError
from rag.readers import SUPPORTED_SUFFIXES
from rag.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger("app_gradio")

EXAMPLES = [
    "金湖县政协提案立案多少件？",
    "各地政协提案办理情况如何？",
    "镇江市政协新增设了哪个界别？",
    "How many cloud consultations did Hai'an hold?",
]
UPLOAD_TYPES = list(SUPPORTED_SUFFIXES)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
THEME_EXAMPLES = ["提案", "协商议事", "委员履职", "社情民意", "列出所有报告中关于提案的数字"]
BASKET_STORAGE_KEY = "rag-basket-v1"
# Gradio 6 moved css (and the API link switch) from Blocks() to launch().
_LAUNCH_OPTIONS = inspect.signature(gr.Blocks.launch).parameters


def open_assistant() -> Assistant:
    """The Assistant over RAG_CORPUS and RAG_INDEX; the app builds or updates even a named index on start."""
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise RagError(str(exc)) from None
    corpus, index, _ = locations_from_env()
    log.info("opening the index at %s (built from %s if missing or stale)", index, corpus)
    return Assistant.open(
        corpus, index, settings, on_build=lambda r: log.info("index built: %d chunks in %.1f s", r.chunks, r.seconds)
    )


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The app. The basket is kept twice: in gr.State, the copy every basket action reads and
    writes (server-side, so only the server writes it, and two quick clicks never act on a stale
    copy), and in gr.BrowserState (localStorage), from which it is restored on page load through
    `Basket.restore`, which rebuilds every quote from the index. BrowserState's encryption key
    travels to the browser with the page, so it only obfuscates; RAG_BASKET_SECRET changes it.
    """
    committees, years, reports = render.filter_choices(assistant.retriever.reports)
    styling = {} if "css" in _LAUNCH_OPTIONS else {"css": render.APP_CSS}
    with gr.Blocks(title="政协报告问答", **styling) as demo:
        gr.Markdown("## 政协报告问答\n每句回答都摘自报告原文，[n] 对应下方的来源段落。")
        with gr.Tabs(elem_id="tabs"):
            qa = _qa_tab(assistant, committees, years, reports)
            basket = _basket_tab()
            overview = _overview_tab(committees)
        state = SimpleNamespace(
            asked=gr.State([]),
            offered=gr.State({}),
            basket=gr.State([]),
            stored=gr.BrowserState(
                [], storage_key=BASKET_STORAGE_KEY, secret=os.environ.get("RAG_BASKET_SECRET", "rag-basket-local")
            ),
        )
        _wire_chat(assistant, qa, overview, state)
        _wire_basket(assistant, demo, qa, basket, overview, state)
        _wire_overview(assistant, overview, state)
    return demo


def _qa_tab(assistant: Assistant, committees: list, years: list, reports: list) -> SimpleNamespace:
    with gr.Tab("问答", id="qa", elem_id="tab-qa"), gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(elem_id="chat", label="对话", height=520, latex_delimiters=[], buttons=[])
            with gr.Row():
                question = gr.Textbox(
                    elem_id="question", show_label=False, placeholder="输入问题，例如：金湖县政协提案立案多少件？", scale=5
                )
                send = gr.Button("发送", variant="primary", elem_id="send", scale=1)
                clear = gr.Button("新对话", elem_id="new-chat", scale=1)
            gr.Examples(EXAMPLES, inputs=[question], label="示例问题")
            count = gr.Markdown(render.basket_count_markdown(Basket()), elem_id="basket-count")
            sources = gr.HTML(render.empty_sources_html(), elem_id="sources", js_on_load=render.ADD_TO_BASKET_JS)
        with gr.Column(scale=1):
            with gr.Accordion("筛选范围（不选即全部）", open=True):
                committee = gr.Dropdown(committees, value=[], multiselect=True, label="政协", elem_id="filter-committee")
                year = gr.Dropdown(years, value=[], multiselect=True, label="年份", elem_id="filter-year")
                report = gr.Dropdown(reports, value=[], multiselect=True, label="报告", elem_id="filter-report")
            upload = gr.File(label=f"上传报告（{' '.join(UPLOAD_TYPES)}）", file_types=UPLOAD_TYPES, elem_id="upload")
            upload_status = gr.Markdown("", elem_id="upload-status")
            identity = _identity_form()
            status = gr.Markdown(render.status_markdown(assistant.status()), elem_id="status")
    return SimpleNamespace(
        chat=chat, question=question, send=send, clear=clear, count=count, sources=sources, committee=committee,
        year=year, report=report, upload=upload, upload_status=upload_status, status=status, identity=identity,
    )


def _identity_form() -> SimpleNamespace:
    """Who wrote an uploaded report, as read off the file, for the user to correct before it is indexed."""
    with gr.Group(visible=False, elem_id="identity") as form:
        gr.Markdown("请核对从文件中读出的报告信息，可修改后确认加入：")
        committee = gr.Textbox(label="委员会全称", elem_id="id-committee")
        short_name = gr.Textbox(label="简称（提问时用的名称）", elem_id="id-short")
        year = gr.Number(label="报告年份", precision=0, elem_id="id-year")
        title = gr.Textbox(label="标题", elem_id="id-title")
        kind = gr.Textbox(label="类型（工作报告 / 履职综述 / 工作谋划 / 工作总结）", elem_id="id-kind")
        with gr.Row():
            confirm = gr.Button("确认并加入", variant="primary", elem_id="id-confirm")
            cancel = gr.Button("取消", elem_id="id-cancel")
    return SimpleNamespace(
        form=form, fields=[committee, short_name, year, title, kind], confirm=confirm, cancel=cancel, pending=gr.State({}),
    )


def _basket_tab() -> SimpleNamespace:
    with gr.Tab("素材篮", id="basket", elem_id="tab-basket"):
        count = gr.Markdown(render.basket_count_markdown(Basket()), elem_id="basket-status")
        with gr.Row():
            export_md = gr.DownloadButton("导出 Markdown (.md)", value=None, interactive=False, elem_id="export-md")
            export_docx = gr.DownloadButton("导出 Word (.docx)", value=None, interactive=False, elem_id="export-docx")
            clear = gr.Button("清空素材篮", elem_id="basket-clear", variant="stop")
        view = gr.HTML(render.basket_html(Basket()), elem_id="basket", js_on_load=render.BASKET_JS)
    return SimpleNamespace(count=count, export_md=export_md, export_docx=export_docx, clear=clear, view=view)


def _overview_tab(committees: list) -> SimpleNamespace:
    with gr.Tab("专题概览", id="overview", elem_id="tab-overview"):
        with gr.Row():
            theme = gr.Textbox(
                "提案", label="专题", elem_id="theme", scale=3,
                placeholder="例如：提案、协商议事、委员履职、社情民意，或“列出所有报告中关于提案的数字”",
            )
            modes = list(workspace.OVERVIEW_MODES)
            mode = gr.Radio(modes, value=modes[0], label="方式", elem_id="ov-mode", scale=3)
            first = gr.Dropdown(committees, value=committees[0] if committees else None, label="对比：政协一", elem_id="ov-first", scale=2)
            second = gr.Dropdown(committees, value=committees[1] if len(committees) > 1 else None, label="对比：政协二", elem_id="ov-second", scale=2)
            run = gr.Button("生成", variant="primary", elem_id="ov-run", scale=1)
        gr.Examples(THEME_EXAMPLES, inputs=[theme], label="示例专题")
        view = gr.HTML(render.empty_overview_html(), elem_id="overview", js_on_load=render.ADD_TO_BASKET_JS)
    return SimpleNamespace(theme=theme, mode=mode, first=first, second=second, run=run, view=view)


def _wire_chat(assistant: Assistant, qa: SimpleNamespace, overview: SimpleNamespace, state: SimpleNamespace) -> None:
    def ask(question, chat, asked, committees, years, reports, offered):
        question = (question or "").strip()
        if not question:
            yield (gr.skip(),) * 5
            return
        chat = [*(chat or []), {"role": "user", "content": question}, {"role": "assistant", "content": "正在检索…"}]
        yield "", chat, gr.skip(), gr.skip(), gr.skip()
        filters = (committees or [], years or [], reports or [])
        for update in workspace.chat_updates(assistant, question, list(asked or []), offered, *filters):
            chat[-1] = {"role": "assistant", "content": update.message}
            yield "", chat, _or_skip(update.asked), _or_skip(update.panel), _or_skip(update.offered)

    def new_chat():
        return [], [], render.empty_sources_html(), ""

    inputs = [qa.question, qa.chat, state.asked, qa.committee, qa.year, qa.report, state.offered]
    outputs = [qa.question, qa.chat, state.asked, qa.sources, state.offered]
    qa.question.submit(ask, inputs, outputs, show_progress="hidden")
    qa.send.click(ask, inputs, outputs, show_progress="hidden")
    cleared = [qa.chat, state.asked, qa.sources, qa.question]
    qa.clear.click(new_chat, None, cleared, queue=False)
    qa.chat.clear(new_chat, None, cleared, queue=False)  # the chat's own bin icon
    _wire_upload(assistant, qa, overview)


def _wire_upload(assistant: Assistant, qa: SimpleNamespace, overview: SimpleNamespace) -> None:
    """Drop a file: it is read and its identity shown (nothing written); 确认并加入 indexes it under
    the identity as corrected and writes that to reports.toml; 取消 forgets it."""
    form = qa.identity

    def read(path):
        if not path:
            return (gr.skip(),) * 9
        try:
            guess = workspace.read_upload(assistant, Path(path))
        except Exception as exc:
            return (render.upload_failed_markdown(workspace.user_message(exc)), None, gr.Group(visible=False), {}) + (gr.skip(),) * 5
        fields = (guess.committee, guess.short_name, guess.year, guess.title, guess.kind)
        pending = {"path": path, "name": Path(path).name, "guess": workspace.meta_json(guess)}
        return (render.upload_read_markdown(Path(path).name), None, gr.Group(visible=True), pending, *fields)

    def confirm(pending, committee, short_name, year, title, kind):
        if not pending:
            return (gr.skip(),) * 10
        try:
            identity = workspace.confirmed_identity(workspace.meta_from_json(pending["guess"]), committee, short_name, year, title, kind)
            added = workspace.add_upload(assistant, Path(pending["path"]), identity)
        except Exception as exc:
            return (render.upload_failed_markdown(workspace.user_message(exc)),) + (gr.skip(),) * 9
        committees, years, reports = render.filter_choices(assistant.retriever.reports)
        return (
            render.upload_added_markdown(added.name, list(added.reports), added.passages), gr.Group(visible=False), {},
            gr.Dropdown(choices=committees), gr.Dropdown(choices=years), gr.Dropdown(choices=reports),
            render.status_markdown(assistant.status()),
            gr.Dropdown(choices=committees), gr.Dropdown(choices=committees),  # the two compared in 专题概览
            None,
        )

    qa.upload.upload(read, [qa.upload], [qa.upload_status, qa.upload, form.form, form.pending, *form.fields],
                     api_name="upload", concurrency_limit=1)
    refreshed = [qa.upload_status, form.form, form.pending, qa.committee, qa.year, qa.report, qa.status,
                 overview.first, overview.second, qa.upload]
    form.confirm.click(confirm, [form.pending, *form.fields], refreshed, api_name="confirm_upload",
                       concurrency_limit=1, concurrency_id="index-write")  # one index write at a time
    form.cancel.click(lambda: ("", gr.Group(visible=False), {}), None, [qa.upload_status, form.form, form.pending],
                      api_name="cancel_upload")


def _wire_basket(
    assistant: Assistant, demo: gr.Blocks, qa: SimpleNamespace, basket: SimpleNamespace, overview: SimpleNamespace,
    state: SimpleNamespace,
) -> None:
    def views(kept: Basket, message: str):
        markdown, docx = workspace.export_files(kept)
        count = render.basket_count_markdown(kept, message)
        return (
            kept.to_json(), kept.to_json(), render.basket_html(kept), count, count,
            gr.DownloadButton(value=str(markdown) if markdown else None, interactive=markdown is not None),
            gr.DownloadButton(value=str(docx) if docx else None, interactive=docx is not None),
        )

    def load(stored):
        return views(*workspace.restore_basket(stored, assistant.topics()))

    def add(offered, kept, evt: gr.EventData):
        return views(*workspace.add_clicked(Basket.from_json(kept), offered, _payload(evt)))

    def change(kept, evt: gr.EventData):
        return views(*workspace.change_clicked(Basket.from_json(kept), _payload(evt)))

    def clear():
        return views(*workspace.clear_basket())

    outputs = [state.basket, state.stored, basket.view, qa.count, basket.count, basket.export_md, basket.export_docx]
    # One basket action at a time: each takes a few milliseconds, and they then apply in click order.
    serial = dict(concurrency_id="basket", concurrency_limit=1, show_progress="hidden")
    demo.load(load, [state.stored], outputs, **serial)
    qa.sources.click(add, [state.offered, state.basket], outputs, **serial)
    overview.view.click(add, [state.offered, state.basket], outputs, **serial)
    basket.view.click(change, [state.basket], outputs, **serial)
    basket.clear.click(clear, None, outputs, **serial)


def _wire_overview(assistant: Assistant, overview: SimpleNamespace, state: SimpleNamespace) -> None:
    def make(theme, mode, first, second, offered):
        try:
            shown = workspace.make_overview(assistant.topics(), theme, mode, first, second)
        except Exception as exc:
            return render.notice_html(f"无法生成：{workspace.user_message(exc)}"), gr.skip()
        return render.overview_html(shown), workspace.offer(offered, shown.excerpts())

    arguments = dict(inputs=[overview.theme, overview.mode, overview.first, overview.second, state.offered],
                     outputs=[overview.view, state.offered])
    overview.run.click(make, **arguments)
    overview.theme.submit(make, **arguments)


def _payload(evt: gr.EventData):
    """What the browser sent with a gr.HTML event (see rag/render/static/*.js); anything, so checked by the library."""
    return getattr(evt, "_data", None)


def _or_skip(value):
    return gr.skip() if value is None else value


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
        options["css"] = render.APP_CSS
    if "show_api" in _LAUNCH_OPTIONS:  # Gradio 5; Gradio 6 hides the API link through footer_links
        options["show_api"] = False
    elif "footer_links" in _LAUNCH_OPTIONS:
        options["footer_links"] = ["gradio", "settings"]
    demo.queue(default_concurrency_limit=int(os.environ.get("RAG_CONCURRENCY", "16"))).launch(**options)


if __name__ == "__main__":
    main()
