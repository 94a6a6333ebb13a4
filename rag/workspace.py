"""What the app does between a click and a rendered view, without Gradio: chat replies, the basket's
actions, exports, overviews and uploads.

- A chat message that asks for figures ("列出…数字") goes to the figure finder; anything else is a
  question for the Assistant. Only a language model's text is shown as it is written; an
  extractive answer is complete when it comes, and is shown at once.
- The browser never sends the text of a quote: a "加入素材篮" click sends a key, looked up in the
  session's table of quotes the library offered (`offer`).
- Exports (.docx, .md, .txt; rag.draft_word, rag.draft) are written to a folder named by the
  basket's content and the export options, so a download link always serves the draft as it
  was when the link was made.
- Clearing the basket keeps what was cleared in session state, for 撤销清空.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from rag.basket import HEADING, Basket, BasketItem, answer_excerpts
from rag.draft import TITLE, draft_markdown, draft_text
from rag.draft_word import draft_docx
from rag.errors import BadQuestion, RagError
from rag.overview import Overview, Topics, is_figure_request
from rag.readers import SUPPORTED_SUFFIXES
from rag.records import Answer, Excerpt, ReportMeta, SearchFilter
from rag.render import (
    answer_markdown, error_markdown, figures_summary_markdown, markdown_text, overview_html, source_cards_html,
    upload_formats,
)

if TYPE_CHECKING:
    from rag.assistant import Assistant

log = logging.getLogger(__name__)

MAX_OFFERED = 400  # quotes of recent answers and overviews a session can still add
EXPORT_DIR = Path(tempfile.gettempdir()) / "rag-basket-exports"
EXPORT_KEEP_S = 86_400
OVERVIEW_MODES = ("专题概览", "数字汇总", "两地对比")

Offered = dict[str, BasketItem]


def user_message(exc: Exception) -> str:
    """What the user reads about a failure: a RagError says what to fix; anything else is ours, logged in full."""
    if isinstance(exc, RagError):
        return str(exc)
    log.exception("internal error")
    return f"内部错误（{type(exc).__name__}），详情见服务器日志"


# The readers' messages are English, for logs and the terminal; the app says the same in Chinese.
_UPLOAD_REASONS = [
    (re.compile(r"unsupported file type"), "不是可以读取的报告文件类型"),
    (re.compile(r"([\d.]+) MB is over the (\d+) MB upload limit"), r"\1 MB，超过 \2 MB 的上传上限"),
    (re.compile(r"the same file is already in the corpus as (.+)$"), r"同样的文件已在报告库中（\1）"),
    (re.compile(r"no report text found"), "没有读到报告正文（只有标题或页眉页脚）"),
    (re.compile(r"binary content"), "不是文本文件（含二进制内容）"),
    (re.compile(r"empty file"), "文件是空的"),
    (re.compile(r"password-protected"), "PDF 设有打开密码，请另存一份不加密的副本再上传"),
    (re.compile(r"encrypted"), "PDF 已加密，无法打开"),
    (re.compile(r"not a valid PDF"), "不是有效的 PDF 文件"),
    (re.compile(r"not a valid \.docx? file"), "不是有效的 Word 文件"),
    (re.compile(r"not parseable as HTML"), "不是有效的网页文件"),
    (re.compile(r"not a readable image"), "不是可以读取的图片"),
    (re.compile(r"OCR failed|needs PyMuPDF|rapidocr"), "扫描件的文字识别（OCR）失败"),
    (re.compile(r"LibreOffice"), "Word 97–2003 文件转换失败（需要 LibreOffice）"),
    (re.compile(r"cannot be read"), "无法读取"),
]


def upload_message(exc: Exception) -> str:
    """Why an upload failed, in Chinese: "名称：原因"; a message not in the table is shown as it is."""
    message = user_message(exc)
    name, _, reason = message.partition(": ")
    for pattern, chinese in _UPLOAD_REASONS:
        found = pattern.search(reason)
        if found:
            return f"{Path(name).name}：{found.expand(chinese)}"
    return message


def offer(offered: Offered | None, excerpts: Iterable[Excerpt]) -> Offered:
    """The session's table of quotes it may add to the basket, with `excerpts` added as the newest.

    A click in the browser sends a key only; what goes into the basket is looked up here.
    """
    offered = dict(offered or {})
    for excerpt in excerpts:
        item = BasketItem.from_excerpt(excerpt)
        offered.pop(item.key, None)
        offered[item.key] = item
    return dict(list(offered.items())[-MAX_OFFERED:])


@dataclass(frozen=True, slots=True)
class ChatUpdate:
    """The chat's reply as it stands; the last update of a reply also carries the views that go with it."""

    message: str  # Markdown of the reply so far
    panel: str | None = None  # HTML of the panel below the chat: source cards or a figure table
    offered: Offered | None = None  # the quote table, with what the panel offers
    asked: list[str] | None = None  # the questions a follow-up may refer to


def chat_updates(
    assistant: Assistant, question: str, asked: list[str], offered: Offered | None,
    committees: Sequence[str] = (), years: Iterable[int | str] = (), report_ids: Iterable[str] = (),
) -> Iterator[ChatUpdate]:
    """The reply to `question`, update by update; a failure ends it with a message saying what went wrong.

    The search is limited to the `committees`, `years` and `report_ids` selected (none: all).
    A figure request lists the figures of the `committees` (in that order): a count per
    committee in the chat, the cited sentences in the panel. It is not a question, so it is
    not added to `asked`, the questions a follow-up may refer to.
    """
    where = SearchFilter(frozenset(committees), frozenset(int(y) for y in years), frozenset(report_ids))
    try:
        if is_figure_request(question):
            overview = assistant.topics().figures(question, committees)
            yield ChatUpdate(figures_summary_markdown(overview), overview_html(overview), offer(offered, overview.excerpts()))
            return
        written = ""
        for item in assistant.ask_stream(question, previous=asked, where=where):
            if isinstance(item, Answer):
                answer = item
            elif assistant.generator is not None:  # a model writing: its text as it comes
                written += item
                yield ChatUpdate(markdown_text(written))
    except Exception as exc:
        yield ChatUpdate(error_markdown(user_message(exc)))
        return
    # The finished answer replaces the model's raw text: with verification marks, or the extractive fallback.
    # An abstention offers its "可能相关" passages (answer_excerpts), shown as no answer.
    excerpts = answer_excerpts(answer)
    yield ChatUpdate(answer_markdown(answer), source_cards_html(answer), offer(offered, excerpts), [*asked, question])


def restore_basket(stored, topics: Topics) -> tuple[Basket, str]:
    """The basket kept in the browser, rebuilt from the index, and what was dropped."""
    basket, dropped = Basket.restore(stored, topics.source)
    return basket, f"{dropped} 条引文与报告原文不符或已不在报告中，已移出" if dropped else ""


def add_clicked(basket: Basket, offered: Offered | None, payload) -> tuple[Basket, str]:
    """A "加入素材篮" click ({"basket": key}): the offered quote under that key added, and what happened."""
    key = payload.get("basket") if isinstance(payload, dict) else None
    if not isinstance(key, str):
        return basket, ""
    item = (offered or {}).get(key)
    if item is None:
        return basket, "这条引文已不在当前回答中，请重新提问后再加入"
    try:
        added = basket.add(item)
    except RagError as exc:  # the basket is full
        return basket, str(exc)
    return added, "已在素材篮中" if added is basket else f"已加入：{item.short_name}"


def change_clicked(basket: Basket, payload) -> tuple[Basket, str]:
    """A click in the basket applied, and what happened: {"action": …, "key": …} with
    up|down|remove, note (+ "note"), edit (+ "text": an own block's new text) or to (+ "to": a section key).

    A payload naming no entry of the basket, or no known action, changes nothing; a quote's text
    is never taken from it.
    """
    data = payload if isinstance(payload, dict) else {}
    action, key = data.get("action"), data.get("key")
    if not isinstance(key, str) or basket.find(key) is None:
        return basket, ""
    if action == "note":
        note = data.get("note")
        return basket.annotate(key, note if isinstance(note, str) else ""), "备注已保存"
    if action == "edit":
        text = data.get("text")
        edited = basket.edit(key, text if isinstance(text, str) else "")
        return edited, "已保存" if edited is not basket else "文字为空，未保存；不要这一段请点“删除”"
    if action in ("up", "down"):
        return basket.move(key, -1 if action == "up" else 1), ""
    if action == "to" and isinstance(data.get("to"), str):
        return basket.move_to(key, data["to"]), ""
    if action == "remove":
        return basket.remove(key), "已删除"
    return basket, ""


def write_clicked(basket: Basket, kind: str, text: str) -> tuple[Basket, str]:
    """A heading or own paragraph (kind HEADING or OWN_TEXT) the writer typed, added at the end of the draft."""
    try:
        return basket.write(kind, text or ""), "已加入小标题" if kind == HEADING else "已加入自拟段落"
    except RagError as exc:  # empty, or too many
        return basket, str(exc)


def clear_basket(basket: Basket) -> tuple[Basket, list[dict] | None, str]:
    """The empty basket, what was cleared (session state for `undo_clear`; None when nothing was), and what happened."""
    if not basket.entries:
        return basket, None, "素材篮已是空的"
    return Basket(), basket.to_json(), f"已清空（{len(basket)} 段引文）；点“撤销清空”可恢复"


def undo_clear(basket: Basket, cleared) -> tuple[Basket, str]:
    """The cleared basket back (from session state, so trusted), with whatever was added since after it."""
    if not cleared:
        return basket, ""
    return Basket.from_json(cleared).merged(basket), "已撤销清空"


@dataclass(frozen=True, slots=True)
class Exports:
    docx: Path
    markdown: Path
    text: Path


def export_files(basket: Basket, folder: Path = EXPORT_DIR, simplified: bool = False) -> Exports | None:
    """讲稿素材.docx, .md and .txt of `basket` in a folder of `folder` named by its content and options (None when empty).

    `simplified`: Traditional quotes converted to Simplified and marked, in the files only.
    """
    if not basket.entries:
        return None
    content = json.dumps([basket.to_json(), simplified], ensure_ascii=False)
    directory = folder / hashlib.sha256(content.encode()).hexdigest()[:20]
    directory.mkdir(parents=True, exist_ok=True)
    exports = Exports(*(directory / f"{TITLE}.{suffix}" for suffix in ("docx", "md", "txt")))
    exports.docx.write_bytes(draft_docx(basket, simplified))
    exports.markdown.write_text(draft_markdown(basket, simplified), encoding="utf-8")
    exports.text.write_text(draft_text(basket, simplified), encoding="utf-8")
    prune_exports(folder, keep=directory)
    return exports


def prune_exports(folder: Path, keep: Path, now: float | None = None) -> None:
    """Every basket change writes a new folder; drop those a day old, long after any download link was used."""
    cutoff = (time.time() if now is None else now) - EXPORT_KEEP_S
    for export in folder.iterdir():
        with contextlib.suppress(OSError):
            if export != keep and export.stat().st_mtime < cutoff:
                shutil.rmtree(export)


def make_overview(topics: Topics, theme: str, mode: str, first: str | None, second: str | None) -> Overview:
    """The overview `mode` (one of OVERVIEW_MODES) asks for; `first` and `second` are compared in 两地对比."""
    if mode == "数字汇总":
        return topics.figures(theme)
    if mode == "两地对比":
        return topics.compare(theme, first, second)
    return topics.overview(theme)


def overview_for(topics: Topics, theme: str, committees: Sequence[str] = (), figures: bool = False,
                 compare: bool = False) -> Overview:
    """What `rag overview` and GET /api/overview ask for: two committees side by side (`compare`, exactly
    two `committees`), the figure finder (`figures`, or a theme that reads as a figure request:
    "列出所有报告中关于提案的数字"), else the table; `committees` (any name they go by) narrows the rows."""
    committees = [c for c in committees if c]
    if compare:
        if len(committees) != 2:
            raise BadQuestion(f"对比需要正好两个政协，给出了 {len(committees)} 个")
        return topics.compare(theme, committees[0], committees[1])
    if figures or is_figure_request(theme):
        return topics.figures(theme, committees)
    return topics.overview(theme, committees)


@dataclass(frozen=True, slots=True)
class Upload:
    """An uploaded file as indexed: its name in the corpus, the reports found in it, their passages."""

    name: str
    reports: tuple[ReportMeta, ...]
    passages: int


def read_upload(assistant: Assistant, path: Path) -> ReportMeta:
    """What the app reads off an uploaded file before it is indexed: who wrote it, the year, title, kind.

    The drop zone takes any file, so that a file of another kind is refused here, in a sentence
    naming the kinds that can be read (the browser's own refusal is an English toast). Raises
    RagError for such a file and BadDocument when the file cannot be read as a report; nothing is written.
    """
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise RagError(f"“{path.name}”不是可以读取的报告文件。可上传：{upload_formats()}")
    return assistant.identify_report(path, path.name)


def index_version(assistant: Assistant) -> str:
    """Changes whenever a new index is swapped in (an upload, a rebuild): its build time and sizes, from
    the manifest in memory, so that an open page can poll it every few seconds at no cost."""
    status = assistant.status()
    return f"{status.built}|{status.files}|{status.chunks}"


def meta_json(meta: ReportMeta) -> dict:
    """A ReportMeta as session state holds it."""
    return {**asdict(meta), "aliases": list(meta.aliases)}


def meta_from_json(data: dict) -> ReportMeta:
    return ReportMeta(**{**data, "aliases": tuple(data.get("aliases", ()))})


def confirmed_identity(guess: ReportMeta, committee: str, short_name: str, year, title: str, kind: str) -> ReportMeta:
    """The guess with the user's corrections (rag.identity.with_given: a changed committee brings its
    short name and aliases). RagError for an empty name or title, or a year that is no year."""
    from rag.identity import with_given

    if year in (None, ""):
        year = None
    else:
        try:
            year = int(float(year))
        except (TypeError, ValueError):
            raise RagError(f"报告年份“{year}”不是年份") from None
        if not 1949 <= year <= 2100:
            raise RagError(f"报告年份 {year} 不在 1949–2100 之间")
    typed = {"committee": (committee or "").strip(), "short_name": (short_name or "").strip(),
             "title": (title or "").strip(), "kind": (kind or "").strip(), "year": year}
    for field, label in (("committee", "委员会全称"), ("short_name", "简称"), ("title", "标题")):
        if not typed[field]:
            raise RagError(f"{label}不能为空")
    given = {field: value for field, value in typed.items() if value != getattr(guess, field)}
    return with_given(guess, **given)


def add_upload(assistant: Assistant, path: Path, identity: ReportMeta | None = None) -> Upload:
    """Index an uploaded file under its confirmed identity (Assistant.add_report); raises what it raises."""
    added = assistant.add_report(path, path.name, identity).added
    retriever = assistant.retriever
    reports = tuple(meta for meta in retriever.reports.values() if meta.file in added)
    passages = sum(1 for chunk in retriever.index.chunks if chunk.doc in added)
    return Upload("、".join(added) or path.name, reports, passages)
