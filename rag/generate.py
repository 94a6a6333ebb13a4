"""Chat messages -> streamed text from a language model. Knows nothing of prompts or citations.

`make_generator(spec)` turns one configuration string into a `Generator`:

- "" / "none": no language model (the caller answers extractively).
- "openai:<base_url>|<model>[|<env var holding the API key>]": any server speaking the OpenAI
  chat-completions API with streaming. The key is read from the environment at each call
  (default `OPENAI_API_KEY`); a local server needs none. Examples:
    DeepSeek:   "openai:https://api.deepseek.com|deepseek-chat|DEEPSEEK_API_KEY"
    Qwen (DashScope compatible mode):
                "openai:https://dashscope.aliyuncs.com/compatible-mode/v1|qwen-plus|DASHSCOPE_API_KEY"
    Ollama:     "openai:http://127.0.0.1:11434/v1|qwen2.5:7b"
    vLLM / llama.cpp server: "openai:http://127.0.0.1:8000/v1|<served model name>"
- "transformers:<model dir>": a local Hugging Face causal LM (e.g. a downloaded
  Qwen2.5-1.5B-Instruct folder), run in-process on CUDA when available, else on the CPU.

Every failure of a backend (unreachable, timeout, HTTP error, malformed reply, model that will
not load) is a `GenerationError` with a one-line message that never contains the API key.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any, Iterator, Protocol

from rag.errors import RagError

log = logging.getLogger(__name__)

SPEC_FORMS = (
    '"none", "openai:<base_url>|<model>[|<API key env var>]" '
    '(e.g. "openai:http://127.0.0.1:11434/v1|qwen2.5:7b") or "transformers:<model dir>"'
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REASON_CHARS = 200


class Generator(Protocol):
    name: str  # shown to users; never contains a key

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """Yield the reply to chat `messages` ({"role", "content"} dicts) piece by piece."""


class GenerationError(RagError):
    """The language model could not produce a reply; the message is one line, without secrets."""


def make_generator(spec: str | None) -> Generator | None:
    """Build the generator a configuration string names; None for "" / "none".

    Raises:
        RagError: the spec matches none of the accepted forms.
        GenerationError: a "transformers:" model cannot be loaded.
    """
    spec = (spec or "").strip()
    if spec.lower() in ("", "none"):
        return None
    kind, _, rest = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "openai":
        fields = [f.strip() for f in rest.split("|")]
        if len(fields) not in (2, 3) or not all(fields):
            raise RagError(f"bad generator {spec!r}: expected {SPEC_FORMS}")
        base_url, model = fields[0], fields[1]
        if not base_url.startswith(("http://", "https://")):
            raise RagError(
                f"bad generator {spec!r}: the base URL must start with http:// or https://; expected {SPEC_FORMS}"
            )
        if len(fields) == 3:
            if not _ENV_NAME.fullmatch(fields[2]):
                # Not echoing the spec: a third field that is no variable name is often the key itself.
                raise RagError(
                    "bad generator: the third field of \"openai:<base_url>|<model>|<env var>\" names the "
                    "environment variable holding the API key (e.g. DEEPSEEK_API_KEY), not the key itself"
                )
            return OpenAICompatibleGenerator(base_url, model, api_key_env=fields[2])
        return OpenAICompatibleGenerator(base_url, model)
    if kind == "transformers" and rest.strip():
        from rag.local_model import TransformersGenerator  # torch and transformers load only when asked for

        return TransformersGenerator(rest.strip())
    raise RagError(f"bad generator {spec!r}: expected {SPEC_FORMS}")


class OpenAICompatibleGenerator:
    """Streams from `{base_url}/chat/completions` (OpenAI, DeepSeek, DashScope, Ollama, vLLM, llama.cpp).

    `timeout_s` bounds each wait for the server (the first byte, and every gap between pieces),
    not the whole reply, so a long answer that keeps streaming is never cut off;
    `connect_timeout_s` is short because an unreachable server should fail at once.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 60.0,
        connect_timeout_s: float = 5.0,
        temperature: float = 0.1,
        max_tokens: int = 800,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.name = f"openai-compatible:{model}@{self.base_url}"

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        import httpx

        url = f"{self.base_url}/chat/completions"
        # Read at call time: a key exported after start-up is picked up, and none is kept on the object.
        key = os.environ.get(self.api_key_env, "").strip()
        headers = {"Accept": "text/event-stream", "Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        payload = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        timeout = httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)
        # Proxy variables apply to hosted APIs; a local server is never reached through a proxy.
        local = httpx.URL(url).host in ("127.0.0.1", "localhost", "::1")
        try:
            with httpx.Client(timeout=timeout, trust_env=not local) as client:
                with client.stream("POST", url, json=payload, headers=headers) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise GenerationError(self._scrub(self._http_error(response), key))
                    if response.headers.get("content-type", "").startswith("application/json"):
                        # A server that ignores stream=true answers with one whole completion.
                        response.read()
                        yield from self._whole_reply(response.text, key)
                        return
                    yield from self._sse(response.iter_lines(), key)
        except GenerationError:
            raise
        except httpx.ConnectTimeout:
            raise GenerationError(f"{self.name}: no connection within {self.connect_timeout_s:g} s") from None
        except httpx.TimeoutException:
            raise GenerationError(f"{self.name}: no reply within {self.timeout_s:g} s (timed out)") from None
        except httpx.ConnectError as exc:
            raise GenerationError(self._scrub(f"{self.name}: cannot connect ({one_line(exc)})", key)) from None
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError) as exc:
            raise GenerationError(
                self._scrub(f"{self.name}: connection lost mid-reply ({one_line(exc)})", key)
            ) from None
        except httpx.HTTPError as exc:
            raise GenerationError(self._scrub(f"{self.name}: {type(exc).__name__}: {one_line(exc)}", key)) from None

    def _sse(self, lines: Iterator[str], key: str) -> Iterator[str]:
        finished = False
        for line in lines:
            # Other SSE fields ("event:", "id:", ": keep-alive" comments) carry no text.
            if not line.startswith("data:"):
                continue
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            if not data:
                continue
            event = self._parse(data, key)
            choices = event.get("choices")
            if not isinstance(choices, list):
                raise GenerationError(self._scrub(f"{self.name}: malformed stream event: {_clip(data)}", key))
            if not choices:  # e.g. the final usage-only event
                continue
            choice = choices[0]
            if not isinstance(choice, dict):
                raise GenerationError(self._scrub(f"{self.name}: malformed stream event: {_clip(data)}", key))
            content = (choice.get("delta") or {}).get("content")
            if isinstance(content, str) and content:
                yield content
            elif content is not None and not isinstance(content, str):
                raise GenerationError(self._scrub(f"{self.name}: malformed stream event: {_clip(data)}", key))
            if choice.get("finish_reason"):
                finished = True
        if not finished:
            # A clean close before [DONE] and before any finish_reason is a truncated reply.
            raise GenerationError(f"{self.name}: the stream ended before the reply was finished")

    def _whole_reply(self, body: str, key: str) -> Iterator[str]:
        event = self._parse(body, key)
        try:
            content = event["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise GenerationError(self._scrub(f"{self.name}: malformed reply: {_clip(body)}", key))
        if content:
            yield content

    def _parse(self, data: str, key: str) -> dict[str, Any]:
        try:
            event = json.loads(data)
        except json.JSONDecodeError:
            message = f"{self.name}: malformed JSON from the server: {_clip(data)}"
            raise GenerationError(self._scrub(message, key)) from None
        if not isinstance(event, dict):
            raise GenerationError(self._scrub(f"{self.name}: malformed JSON from the server: {_clip(data)}", key))
        if "error" in event:  # some servers report failures inside a 200 stream
            raise GenerationError(self._scrub(f"{self.name}: server error: {_reason(event['error'])}", key))
        return event

    def _http_error(self, response: Any) -> str:
        reason = response.reason_phrase or ""
        try:
            body = response.json()
            detail = _reason(body.get("error", body) if isinstance(body, dict) else body)
        except ValueError:
            detail = _clip(response.text)
        message = f"{self.name}: HTTP {response.status_code} {reason}".rstrip()
        if detail:
            message += f": {detail}"
        if response.status_code in (401, 403):
            message += f" (check the API key in ${self.api_key_env})"
        return message

    @staticmethod
    def _scrub(message: str, key: str) -> str:
        """Servers sometimes echo the request; the key must not reach a log or a user's screen."""
        return message.replace(key, "***") if key else message


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        error = error.get("message") or error.get("msg") or error.get("detail") or json.dumps(error, ensure_ascii=False)
    return _clip(str(error))


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return _clip(text) if text else type(exc).__name__


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"
