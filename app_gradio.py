"""政协报告问答: the Gradio chat app over rag.assistant.Assistant: layout and wiring only; what the
handlers do lives in rag.workspace, the views in rag.render.

Three tabs: 问答 (the chat with source cards), 素材篮 (a speech draft: quotes collected from
answers and overviews, the writer's own headings and paragraphs; copied whole or exported as .docx,
.md and .txt; rag.basket, rag.draft) and 专题概览 (theme tables, the figure
finder and two committees side by side; rag.overview). A fourth, 使用说明, is the short guide
(rag/render/static/help.md). Every word on the page is Chinese, Gradio's own strings included
(rag.render.page).

Environment: RAG_CORPUS (corpus), RAG_INDEX (index, built on first start if missing or stale),
RAG_EMBEDDER (as for the CLI), RAG_GENERATOR (a language model, see rag.generate; default none), RAG_HOST (127.0.0.1), RAG_PORT (7860), RAG_CONCURRENCY (answers in parallel, default 16: bench/README.md "Concurrent users"), RAG_USER/RAG_PASSWORD (login; required when RAG_HOST is
not a loopback address), RAG_API_KEY (a key for the HTTP API besides the password; rag.api.guard), RAG_BASKET_SECRET (key of the basket in the browser's localStorage;
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

from rag import api, render, workspace
from rag.assistant import Assistant
from rag.basket import HEADING, OWN_TEXT, Basket
from rag.errors import RagError
from rag.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger("app_gradio")

EXAMPLES = [
    "金湖县政协提案立案多少件？",
    "各地政协提案办理情况如何？",
    "镇江市政协新增设了哪个界别？",
    "海安市政协开展了多少次“云协商”活动？",
]
REFRESH_EVERY_S = 10  # how often an open page asks whether an upload changed the index (see `_wire_refresh`)
LOOPBACK = api.LOOPBACK
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
        gr.Markdown("# 政协报告问答\n每句回答都摘自报告原文，句末的 [1]、[2] 对应旁边的来源卡片。", elem_id="page-head")
        with gr.Tabs(elem_id="tabs"):
            qa = _qa_tab(assistant, committees, years, reports)
            basket = _basket_tab()
            overview = _overview_tab(committees)
            with gr.Tab("使用说明", id="help", elem_id="tab-help"):
                gr.Markdown(render.help_markdown(), elem_id="help")
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
        _wire_refresh(assistant, demo, qa, overview)
    return demo


def _qa_tab(assistant: Assistant, committees: list, years: list, reports: list) -> SimpleNamespace:
    """The filters on top, then the chat beside its source cards, so that on a laptop (1366×768) an
    answer and its first card are seen together without scrolling; uploads and the status below.
    On a narrow screen the columns stack: chat, then cards. The drop zone takes any file: one that
    cannot be read is refused by `_wire_upload` in Chinese, not by the browser in English."""
    with gr.Tab("问答", id="qa", elem_id="tab-qa"):
        with gr.Row(elem_id="filters"):
            committee = gr.Dropdown(committees, value=[], multiselect=True, label="政协（不选即全部）",
                                    elem_id="filter-committee", scale=2, min_width=150)
            year = gr.Dropdown(years, value=[], multiselect=True, label="年份", elem_id="filter-year", scale=1, min_width=110)
            report = gr.Dropdown(reports, value=[], multiselect=True, label="报告", elem_id="filter-report", scale=4, min_width=200)
        with gr.Row(elem_id="qa-main"):
            with gr.Column(scale=5, min_width=300):
                chat = gr.Chatbot(elem_id="chat", label="对话", height="max(320px, calc(100vh - 370px))",
                                  latex_delimiters=[], buttons=[])
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(elem_id="question", label="问题", show_label=False, scale=5, min_width=150,
                                          placeholder="输入问题，例如：金湖县政协提案立案多少件？")
                    send = gr.Button("发送", variant="primary", elem_id="send", scale=1, min_width=64)
                    clear = gr.Button("新对话", elem_id="new-chat", scale=1, min_width=72)
                gr.Examples(EXAMPLES, inputs=[question], label="示例问题")
                count = gr.Markdown(render.basket_count_markdown(Basket()), elem_id="basket-count")
            with gr.Column(scale=4, min_width=300):
                sources = gr.HTML(render.empty_sources_html(), elem_id="sources", js_on_load=render.ADD_TO_BASKET_JS)
        with gr.Row(elem_id="qa-more"):
            with gr.Column(scale=3, min_width=280):
                upload = gr.File(label="上传报告（文本、Word、PDF、网页、扫描件或照片）", elem_id="upload", height=150)
                upload_status = gr.Markdown("", elem_id="upload-status")
                identity = _identity_form()
            with gr.Column(scale=2, min_width=260):
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
    """The speech draft: exports on top, the writer's headings and paragraphs typed in, the draft, and
    清空 at the bottom, away from the exports, asked first and undoable (`cleared` keeps what it cleared)."""
    with gr.Tab("素材篮", id="basket", elem_id="tab-basket"):
        count = gr.Markdown(render.basket_count_markdown(Basket()), elem_id="basket-status")
        with gr.Row():
            export_docx = gr.DownloadButton("导出 Word (.docx)", value=None, interactive=False, elem_id="export-docx")
            export_md = gr.DownloadButton("导出 Markdown (.md)", value=None, interactive=False, elem_id="export-md")
            export_txt = gr.DownloadButton("导出纯文本 (.txt)", value=None, interactive=False, elem_id="export-txt")
            simplified = gr.Checkbox(False, label="繁体引文转为简体（仅导出和复制全文）", elem_id="export-t2s")
        gr.Markdown(render.export_note_markdown(), elem_id="export-note")
        with gr.Row(equal_height=True):
            draft_new = gr.Textbox(
                label="小标题或自拟段落", show_label=False, lines=2, scale=5, elem_id="draft-new",
                placeholder="写一个小标题，或自己的一段话（不是引文），再点右边的按钮加到讲稿末尾，然后用“移到…”排进各节",
            )
            add_heading = gr.Button("加为小标题", scale=1, elem_id="draft-add-heading")
            add_text = gr.Button("加为自拟段落", scale=1, elem_id="draft-add-text")
        view = gr.HTML(render.basket_html(Basket()), elem_id="basket", js_on_load=render.BASKET_JS)
        # Inside the tab: a State made between tabs counts as one more tab to Gradio.
        cleared = gr.State(None)
        with gr.Row():
            clear = gr.Button("清空素材篮…", size="sm", scale=0, elem_id="basket-clear")
            undo = gr.Button("撤销清空", size="sm", scale=0, visible=False, elem_id="basket-undo")
        with gr.Group(visible=False, elem_id="basket-clear-ask") as ask:
            gr.Markdown("确定清空素材篮？引文、小标题和自拟段落都会移出；清空后、刷新页面前可点“撤销清空”恢复。")
            with gr.Row():
                confirm = gr.Button("确定清空", variant="stop", elem_id="basket-clear-confirm")
                cancel = gr.Button("取消", elem_id="basket-clear-cancel")
    return SimpleNamespace(
        count=count, export_docx=export_docx, export_md=export_md, export_txt=export_txt, simplified=simplified,
        draft_new=draft_new, add_heading=add_heading, add_text=add_text, view=view, clear=clear, undo=undo, ask=ask,
        confirm=confirm, cancel=cancel, cleared=cleared,
    )


def _overview_tab(committees: list) -> SimpleNamespace:
    with gr.Tab("专题概览", id="overview", elem_id="tab-overview"):
        with gr.Row():
            theme = gr.Textbox(
                "提案", label="专题", elem_id="theme", scale=3,
                placeholder="例如：提案、协商议事、委员履职、社情民意，或“列出所有报告中关于提案的数字”",
            )
            modes = list(workspace.OVERVIEW_MODES)
            mode = gr.Radio(modes, value=modes[0], label="方式", elem_id="ov-mode", scale=3)
            # Shown only in 两地对比 (`_wire_overview`).
            first = gr.Dropdown(committees, value=committees[0] if committees else None, label="对比：政协一", elem_id="ov-first", scale=2, visible=False)
            second = gr.Dropdown(committees, value=committees[1] if len(committees) > 1 else None, label="对比：政协二", elem_id="ov-second", scale=2, visible=False)
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
            return (render.upload_failed_markdown(workspace.upload_message(exc)), None, gr.Group(visible=False), {}) + (gr.skip(),) * 5
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
            return (render.upload_failed_markdown(workspace.upload_message(exc)),) + (gr.skip(),) * 9
        added_line = render.upload_added_markdown(added.name, list(added.reports), added.passages)
        return added_line, gr.Group(visible=False), {}, *_index_views(assistant), None

    qa.upload.upload(read, [qa.upload], [qa.upload_status, qa.upload, form.form, form.pending, *form.fields],
                     api_name="upload", concurrency_limit=1)
    refreshed = [qa.upload_status, form.form, form.pending, *_index_outputs(qa, overview), qa.upload]
    form.confirm.click(confirm, [form.pending, *form.fields], refreshed, api_name="confirm_upload",
                       concurrency_limit=1, concurrency_id="index-write")  # one index write at a time
    form.cancel.click(lambda: ("", gr.Group(visible=False), {}), None, [qa.upload_status, form.form, form.pending],
                      api_name="cancel_upload")


def _wire_refresh(assistant: Assistant, demo: gr.Blocks, qa: SimpleNamespace, overview: SimpleNamespace) -> None:
    """Every page shows the index as it is now, not as it was when the app started: a page that loads
    gets the filters' choices, the 对比 choices and the status from the live Assistant, and an open
    page asks every REFRESH_EVERY_S seconds whether an upload, from any page, changed the index.

    A timer rather than a refresh on focus: a page in a window beside the one that uploaded, or on
    a colleague's screen, gets no focus event, and a stale 报告 filter misses the new report without
    a word. Each tick compares a string with the manifest in memory (workspace.index_version),
    outside the queue, and changes nothing on the page unless the index changed.
    """
    version = gr.State("")
    views = [version, *_index_outputs(qa, overview)]

    def load():
        return workspace.index_version(assistant), *_index_views(assistant)

    def tick(seen):
        now = workspace.index_version(assistant)
        return (gr.skip(),) * len(views) if now == seen else (now, *_index_views(assistant))

    quiet = dict(queue=False, show_progress="hidden")
    demo.load(load, None, views, **quiet)
    gr.Timer(REFRESH_EVERY_S).tick(tick, [version], views, **quiet)


def _index_outputs(qa: SimpleNamespace, overview: SimpleNamespace) -> list:
    return [qa.committee, qa.year, qa.report, qa.status, overview.first, overview.second]


def _index_views(assistant: Assistant) -> tuple:
    """What `_index_outputs` show, as the index now is: the three filters' choices, the status, the two 对比 choices."""
    committees, years, reports = render.filter_choices(assistant.retriever.reports)
    return (
        gr.Dropdown(choices=committees), gr.Dropdown(choices=years), gr.Dropdown(choices=reports),
        render.status_markdown(assistant.status()), gr.Dropdown(choices=committees), gr.Dropdown(choices=committees),
    )


def _wire_basket(
    assistant: Assistant, demo: gr.Blocks, qa: SimpleNamespace, basket: SimpleNamespace, overview: SimpleNamespace,
    state: SimpleNamespace,
) -> None:
    def load(stored, simplified):
        return _basket_views(*workspace.restore_basket(stored, assistant.topics()), simplified)

    def add(offered, kept, simplified, evt: gr.EventData):
        return _basket_views(*workspace.add_clicked(Basket.from_json(kept), offered, _payload(evt)), simplified)

    def change(kept, simplified, evt: gr.EventData):
        return _basket_views(*workspace.change_clicked(Basket.from_json(kept), _payload(evt)), simplified)

    def refresh(kept, simplified):  # the conversion option changed: new files, new 复制全文
        return _basket_views(Basket.from_json(kept), "", simplified)

    outputs = [state.basket, state.stored, basket.view, qa.count, basket.count, basket.export_docx, basket.export_md,
               basket.export_txt]
    # One basket action at a time: each takes a few milliseconds, and they then apply in click order.
    serial = dict(concurrency_id="basket", concurrency_limit=1, show_progress="hidden")
    demo.load(load, [state.stored, basket.simplified], outputs, **serial)
    qa.sources.click(add, [state.offered, state.basket, basket.simplified], outputs, **serial)
    overview.view.click(add, [state.offered, state.basket, basket.simplified], outputs, **serial)
    basket.view.click(change, [state.basket, basket.simplified], outputs, **serial)
    basket.simplified.change(refresh, [state.basket, basket.simplified], outputs, **serial)
    _wire_draft(basket, outputs, state, serial)


def _wire_draft(basket: SimpleNamespace, outputs: list, state: SimpleNamespace, serial: dict) -> None:
    """The writer's own headings and paragraphs, typed in; 清空 after a confirmation, and 撤销清空."""
    def writer(kind: str):
        def write(text, kept, simplified):
            before = Basket.from_json(kept)
            after, message = workspace.write_clicked(before, kind, text)
            return ("" if after is not before else gr.skip()), *_basket_views(after, message, simplified)
        return write

    def clear(kept, cleared, simplified):
        emptied, was, message = workspace.clear_basket(Basket.from_json(kept))
        cleared = cleared if was is None else was
        return gr.Group(visible=False), cleared, gr.Button(visible=bool(cleared)), *_basket_views(emptied, message, simplified)

    def undo(kept, cleared, simplified):
        restored, message = workspace.undo_clear(Basket.from_json(kept), cleared)
        return None, gr.Button(visible=False), *_basket_views(restored, message, simplified)

    typed = [basket.draft_new, state.basket, basket.simplified]
    basket.add_heading.click(writer(HEADING), typed, [basket.draft_new, *outputs], **serial)
    basket.add_text.click(writer(OWN_TEXT), typed, [basket.draft_new, *outputs], **serial)
    basket.clear.click(lambda: gr.Group(visible=True), None, [basket.ask], queue=False)
    basket.cancel.click(lambda: gr.Group(visible=False), None, [basket.ask], queue=False)
    held = [state.basket, basket.cleared, basket.simplified]
    basket.confirm.click(clear, held, [basket.ask, basket.cleared, basket.undo, *outputs], **serial)
    basket.undo.click(undo, held, [basket.cleared, basket.undo, *outputs], **serial)


def _basket_views(kept: Basket, message: str, simplified: bool) -> tuple:
    """The basket's state (server, browser), the draft, both count lines and the three downloads, after an action."""
    exports = workspace.export_files(kept, simplified=bool(simplified))
    files = (exports.docx, exports.markdown, exports.text) if exports else (None, None, None)
    count = render.basket_count_markdown(kept, message)
    downloads = (gr.DownloadButton(value=str(path) if path else None, interactive=path is not None) for path in files)
    return kept.to_json(), kept.to_json(), render.basket_html(kept, bool(simplified)), count, count, *downloads


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
    overview.mode.change(_compared, [overview.mode], [overview.first, overview.second], queue=False, show_progress="hidden")


def _compared(mode: str) -> tuple:
    """The two 对比 dropdowns, shown in 两地对比 only: the other modes cover every committee."""
    return (gr.Dropdown(visible=mode == "两地对比"),) * 2


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
    """Serve the chat app and its HTTP API (rag.api) on one port: a FastAPI app holding the API's
    routes, with this Gradio app mounted at "/" (gr.mount_gradio_app), run by uvicorn (rag.api.serve).

    Why so: mounting is Gradio's documented way to live beside other routes, and leaves Gradio's own
    app (its paths, queue, login and upload limit) as launch() made it, so browsers and gradio_client
    see no change; the API gets FastAPI's request models, its OpenAPI page at /docs and its own
    error shape. One process holds one Assistant, so an upload through either is seen by both; one
    port is one address to open and to protect. uvicorn is run directly rather than by launch() so
    that the port answers (503, "索引正在建立") while the index is being built at start.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    host = os.environ.get("RAG_HOST", "127.0.0.1")
    port = int(os.environ.get("RAG_PORT", "7860"))
    try:  # before anything is built or bound: the API must not reach a network unguarded
        keys = api.required_keys(host, os.environ.get("RAG_API_KEY", ""), os.environ.get("RAG_PASSWORD", ""))
    except RagError as exc:
        raise SystemExit(f"error: {exc}") from None
    auth = login(host)

    def opening():
        assistant = open_assistant()
        app = _with_ui(api.create_app(assistant, keys), build_ui(assistant), auth, host, port)
        log.info("serving the app on http://%s:%d/ and its API beside it (documented at /docs)", host, port)
        return app

    try:
        api.serve(opening, host, port)
    except RagError as exc:
        raise SystemExit(f"error: {exc}") from None


def _with_ui(app, demo: gr.Blocks, auth: tuple[str, str] | None, host: str, port: int):
    """`app` with `demo` mounted at "/", with the options launch() used to be given."""
    from starlette.middleware import Middleware

    mount = inspect.signature(gr.mount_gradio_app).parameters
    options = dict(server_name=host, server_port=port, ssr_mode=False, max_file_size=MAX_UPLOAD_BYTES, auth=auth,
                   show_error=False, app_kwargs={"middleware": [Middleware(render.FirstScript)]})  # Gradio's strings in Chinese
    if "css" in mount:
        options["css"] = render.APP_CSS
    if "show_api" in mount:  # Gradio 5; Gradio 6 hides the API link through footer_links
        options["show_api"] = False
    elif "footer_links" in mount:  # no footer: its settings page is in English
        options["footer_links"] = []
    demo.queue(default_concurrency_limit=int(os.environ.get("RAG_CONCURRENCY", "16")))
    return gr.mount_gradio_app(app, demo, path="/", **options)


if __name__ == "__main__":
    main()
