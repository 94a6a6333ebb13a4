"""OpenAI's chat format over the Assistant: GET /v1/models and POST /v1/chat/completions, plain or streamed.

- The last message is the question; the earlier user messages are the previous questions, as the
  app's chat keeps them (a figure request is no question, so it is left out, as the app does). A
  follow-up such as "那洪泽区呢？" is read against them. System and assistant messages are ignored:
  the answer never depends on what a client claims the assistant said.
- The message content is the answer as `rag ask` prints it (rag.render.answer_text): the quoted
  sentences with their [n] markers, then the numbered sources, so a plain chat client shows where
  each sentence comes from. The response adds `citations` (rag.render.data.citations_json) and
  `abstained`. A figure request ("列出所有报告中关于提案的数字") gets the figure finder's list
  (rag.render.overview_text) and its data as `overview`.
- Streamed, the answer is sent whole as soon as it is ready: a role chunk at once, then the
  content in one chunk, then a chunk with finish_reason "stop", `citations` and `abstained`, then
  `data: [DONE]`. With a language model the raw text is not streamed either: every sentence is
  checked against its sources first (rag.verify), and a client cannot take back text it has
  shown; comments (": keep-alive") keep the connection open meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any, AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.api.errors import ApiError
from rag.api.routes import MAX_PREVIOUS, Filters, where_of
from rag.assistant import Assistant
from rag.errors import BadQuestion
from rag.overview import is_figure_request
from rag.render import answer_text, overview_text
from rag.render.data import citations_json, overview_json
from rag.retrieve import check_question
from rag.workspace import overview_for, user_message

MODEL = "rag"
MAX_MESSAGES = 200
KEEP_ALIVE_S = 10.0


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, …: accepted, not read
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI's request; temperature, max_tokens and the like are accepted and ignored (the answer is quoted)."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    filters: Filters = Field(default_factory=Filters, description="our extension: limit the search as the app's filters do")


def router(assistant: Assistant) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    @api.get("/models")
    def models() -> dict:
        return {"object": "list", "data": [_model()]}

    @api.get("/models/{name}")
    def model(name: str) -> dict:
        _check_model(name)
        return _model()

    @api.post("/chat/completions", response_model=None)
    def chat(request: ChatRequest) -> dict | StreamingResponse:
        """The cited answer to the last message; `stream: true` for server-sent events."""
        _check_model(request.model)
        question, previous = conversation(request.messages)
        where = where_of(assistant, request.filters)
        reply = _Reply(request.model)
        if request.stream:
            return StreamingResponse(_stream(assistant, reply, question, previous, where), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return reply.completion(_answer(assistant, question, previous, where))

    return api


def conversation(messages: list[Message]) -> tuple[str, list[str]]:
    """The question (the last message, the user's) and the previous questions, oldest first; BadQuestion
    (400) for a question that cannot be searched."""
    if messages[-1].role != "user":
        raise ApiError(400, f"最后一条消息应是用户的问题（role 为 user），收到的是 {messages[-1].role!r}")
    question = check_question(_text(messages[-1]))
    previous = []
    for message in messages[:-1]:
        text = _text(message).strip() if message.role == "user" else ""
        if text and not is_figure_request(text):
            previous.append(text)
    return question, [_checked(text) for text in previous[-MAX_PREVIOUS:]]


def _text(message: Message) -> str:
    if isinstance(message.content, list):
        return "".join(part.get("text", "") for part in message.content if part.get("type") == "text")
    return message.content or ""


def _checked(text: str) -> str:
    try:
        return check_question(text)
    except BadQuestion:
        raise ApiError(400, f"对话历史中有一条用户消息长 {len(text):,} 字，超过问题的长度上限；请开始新对话") from None


def _answer(assistant: Assistant, question: str, previous: list[str], where) -> dict:
    """What the reply carries: the text, and the `citations`, `abstained` (and `overview`) fields."""
    if is_figure_request(question):
        overview = overview_for(assistant.topics(), question, sorted(where.committees), figures=True)
        found = any(row.figures or row.plans for row in overview.rows)
        return {"text": overview_text(overview), "citations": [], "abstained": not found, "overview": overview_json(overview)}
    answer = assistant.ask(question, previous, where)
    return {"text": answer_text(answer), "citations": citations_json(answer), "abstained": answer.abstained}


class _Reply:
    """The ids and shapes of one reply: a chat.completion, or its chat.completion.chunk events."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def completion(self, result: dict) -> dict:
        message = {"role": "assistant", "content": result["text"]}
        extra = {k: v for k, v in result.items() if k != "text"}
        return {**self._head("chat.completion"), "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}, **extra}

    def chunk(self, delta: dict, finish: str | None = None, **extra) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _event({**self._head("chat.completion.chunk"), "choices": [choice], **extra})

    def _head(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


async def _stream(assistant: Assistant, reply: _Reply, question: str, previous: list[str], where) -> AsyncIterator[str]:
    yield reply.chunk({"role": "assistant", "content": ""})
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()

    def work() -> None:
        try:
            result = _answer(assistant, question, previous, where)
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(result))
        except Exception as exc:  # sent as an error event: the 200 status has gone out already
            message = user_message(exc)
            loop.call_soon_threadsafe(lambda: done.done() or done.set_exception(ApiError(500, message)))

    # A thread of its own, not the pool's: a client that hangs up leaves it to finish on its own.
    threading.Thread(target=work, daemon=True, name="rag-api-answer").start()
    while True:
        try:
            result = await asyncio.wait_for(asyncio.shield(done), KEEP_ALIVE_S)
            break
        except asyncio.TimeoutError:
            yield ": keep-alive\n\n"
        except ApiError as exc:
            yield _event({"error": {"message": exc.message, "type": "server_error"}})
            yield "data: [DONE]\n\n"
            return
    yield reply.chunk({"content": result["text"]})
    yield reply.chunk({}, "stop", **{k: v for k, v in result.items() if k != "text"})
    yield "data: [DONE]\n\n"


def _event(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def _model() -> dict:
    return {"id": MODEL, "object": "model", "created": 0, "owned_by": "rag", "description": "政协报告问答：句句摘自报告原文并注明出处"}


def _check_model(name: str) -> None:
    if name != MODEL:
        raise ApiError(404, f"没有模型 {name!r}：这里只有 {MODEL!r}（见 GET /v1/models）")
