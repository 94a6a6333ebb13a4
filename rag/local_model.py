"""A local Hugging Face causal language model run in-process: the "transformers:<model dir>" generator."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Iterator

from rag.generate import GenerationError, one_line as _one_line

log = logging.getLogger(__name__)


class TransformersGenerator:
    """A local causal LM run in-process with greedy decoding, streamed as it is generated.

    The model loads in the constructor: it is built only when configured, and a bad directory
    should fail at start-up rather than at the first question.
    """

    def __init__(self, model_dir: str | os.PathLike[str], device: str | None = None, max_new_tokens: int = 400) -> None:
        self.model_dir = str(model_dir)
        self.max_new_tokens = max_new_tokens
        self.name = f"transformers:{self.model_dir}"
        if not Path(self.model_dir).is_dir():
            raise GenerationError(f"cannot load language model: {self.model_dir!r} is not a directory")
        try:
            import torch
            from transformers import AutoModelForCausalLM

            self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
            self._tokenizer = _load_tokenizer(self.model_dir)
            self._model = AutoModelForCausalLM.from_pretrained(self.model_dir).to(self.device).eval()
        except GenerationError:
            raise
        except Exception as exc:  # OSError, ValueError, hub errors, CUDA errors: all mean "cannot load"
            raise GenerationError(f"cannot load language model {self.model_dir!r}: {_one_line(exc)}") from None
        log.info("loaded %s on %s", self.name, self.device)

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        tokenizer = self._tokenizer
        if getattr(tokenizer, "chat_template", None):
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            # The template already wrote the special tokens the model expects.
            add_special_tokens = False
        else:
            prompt = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
            add_special_tokens = True
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=add_special_tokens)
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        stop = threading.Event()
        failure: list[BaseException] = []
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

        def run() -> None:
            try:
                self._model.generate(
                    **inputs,
                    streamer=streamer,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    pad_token_id=pad,
                    stopping_criteria=StoppingCriteriaList([_stop_when_set(stop)]),
                )
            except BaseException as exc:  # re-raised in the caller's thread below
                failure.append(exc)
                streamer.end()  # otherwise the consumer waits forever for the end signal

        thread = threading.Thread(target=run, name="generate", daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            # A caller that stops reading early also stops the model instead of letting it run on.
            stop.set()
            thread.join()
        if failure:
            raise GenerationError(f"{self.name}: generation failed: {_one_line(failure[0])}")


def _load_tokenizer(model_dir: str) -> Any:
    """AutoTokenizer, or PreTrainedTokenizerFast when AutoTokenizer fails or garbles text.

    AutoTokenizer picks the class from config.json; for a folder whose tokenizer.json does not
    match that class (e.g. a WordLevel vocabulary in a qwen2 folder) it yields empty or wrong
    ids, so it is kept only if a sample survives encoding and decoding.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    sample = "政协委员提案 report 2024"
    auto = None
    try:
        auto = AutoTokenizer.from_pretrained(model_dir)
        ids = auto(sample, add_special_tokens=False)["input_ids"]
        if ids and "".join(auto.decode(ids, skip_special_tokens=True).split()) == "".join(sample.split()):
            return auto
        log.info("AutoTokenizer does not round-trip text for %s; trying PreTrainedTokenizerFast", model_dir)
    except Exception as exc:
        log.info("AutoTokenizer failed for %s (%s); trying PreTrainedTokenizerFast", model_dir, _one_line(exc))
    try:
        return PreTrainedTokenizerFast.from_pretrained(model_dir)
    except Exception:
        if auto is None:
            raise
        # No tokenizer.json (a sentencepiece-only folder): AutoTokenizer is all there is.
        return auto


def _stop_when_set(event: threading.Event) -> Any:
    """A StoppingCriteria that ends generation once `event` is set (defined here: transformers loads lazily)."""
    import torch
    from transformers import StoppingCriteria

    class StopWhenSet(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool, device=input_ids.device)

    return StopWhenSet()
