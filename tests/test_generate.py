"""Generators: a fake OpenAI-compatible server on 127.0.0.1 (tests/conftest.py), a tiny random causal LM, spec parsing."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from rag.errors import RagError
from rag.generate import GenerationError, OpenAICompatibleGenerator, make_generator
from rag.local_model import TransformersGenerator

SCRIPT = ["根据", "报告，", "政协委员", "提交提案", "一百二十件", "[1]。"]
MESSAGES = [
    {"role": "system", "content": "只依据所给报告回答，并标注出处。"},
    {"role": "user", "content": "政协委员提交了多少件提案？"},
]
KEY = "sk-test-0123456789abcdef"
KEY_ENV = "RAG_TEST_LLM_KEY"


@pytest.fixture
def server(chat_server):
    return chat_server(SCRIPT)


def _generator(server, model: str, **kwargs) -> OpenAICompatibleGenerator:
    return OpenAICompatibleGenerator(server.url, model, api_key_env=KEY_ENV, **kwargs)


def test_pieces_arrive_in_order_and_join_to_the_reply(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    pieces = list(_generator(server, "scripted").stream(MESSAGES))
    assert pieces == SCRIPT
    assert "".join(pieces) == "根据报告，政协委员提交提案一百二十件[1]。"
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["stream"] is True
    assert request["body"]["model"] == "scripted"
    assert request["body"]["messages"] == MESSAGES


def test_key_is_sent_from_the_env_var_and_shown_nowhere(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    generator = _generator(server, "scripted")
    assert list(generator.stream(MESSAGES)) == SCRIPT
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert generator.name == f"openai-compatible:scripted@{server.url}"
    assert KEY not in generator.name and KEY not in repr(vars(generator))


def test_key_is_read_at_call_time(server, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    generator = _generator(server, "scripted")
    monkeypatch.setenv(KEY_ENV, KEY)
    list(generator.stream(MESSAGES))
    assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {KEY}"


def test_local_server_needs_no_key(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    generator = OpenAICompatibleGenerator(server.url + "/", "scripted")
    assert "".join(generator.stream(MESSAGES)) == "".join(SCRIPT)
    assert "Authorization" not in server.requests[-1]["headers"]
    assert server.requests[-1]["path"] == "/v1/chat/completions"  # trailing slash of base_url dropped


def test_whole_json_reply_when_the_server_does_not_stream(server):
    assert "".join(_generator(server, "whole").stream(MESSAGES)) == "".join(SCRIPT)


def test_http_500_names_the_status_and_not_the_key(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(GenerationError, match="HTTP 500") as caught:
        list(_generator(server, "http500").stream(MESSAGES))
    message = str(caught.value)
    assert KEY not in message
    assert "internal error" in message
    assert "\n" not in message


def test_http_401_points_at_the_env_var(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(GenerationError, match=rf"HTTP 401.*Incorrect API key.*\${KEY_ENV}") as caught:
        list(_generator(server, "http401").stream(MESSAGES))
    assert KEY not in str(caught.value)


def test_stopped_server_fails_fast(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    server.stop()
    generator = _generator(server, "scripted")
    started = time.monotonic()
    with pytest.raises(GenerationError, match="cannot connect") as caught:
        list(generator.stream(MESSAGES))
    assert time.monotonic() - started < 5
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("model", ["stall-before", "stall-mid"])
def test_stalled_server_times_out(server, model):
    generator = _generator(server, model, timeout_s=1)
    started = time.monotonic()
    with pytest.raises(GenerationError, match="timed out"):
        list(generator.stream(MESSAGES))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("malformed", "malformed JSON"),
        ("error-event", "server error: model overloaded"),
        ("truncated", "ended before the reply was finished"),
        ("dropped", "connection lost mid-reply"),
    ],
)
def test_broken_streams_raise(server, model, match):
    pieces = []
    with pytest.raises(GenerationError, match=match) as caught:
        for piece in _generator(server, model).stream(MESSAGES):
            pieces.append(piece)
    assert "\n" not in str(caught.value)
    if model != "error-event":
        assert pieces == SCRIPT[:1]  # what arrived before the break was still streamed


# --- a tiny random causal LM -------------------------------------------------------------------

CORPUS_TEXT = (
    "政协委员围绕经济社会发展建言资政，开展民主监督，提交提案一百二十件。"
    "报告未提及的内容不作回答。只依据所给报告回答，并标注出处。多少件？"
)
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@pytest.fixture(scope="session")
def tiny_lm_dir(tmp_path_factory) -> Path:
    """A random 2-layer Qwen2 with a per-character vocabulary, saved like a downloaded model."""
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    specials = ["<unk>", "<|endoftext|>"]
    chars = sorted(set(CORPUS_TEXT + "systemuserassistant: \n[]0123456789"))
    vocab = {token: i for i, token in enumerate(specials + chars)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    backend.decoder = decoders.Fuse()
    backend.add_special_tokens(specials)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="<unk>", eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=1,
    )
    model = Qwen2ForCausalLM(config)
    # Random weights could pick a special token first and stream nothing visible; forbid them.
    model.generation_config = GenerationConfig(
        bos_token_id=1, eos_token_id=1, pad_token_id=1, suppress_tokens=[vocab[t] for t in specials]
    )
    directory = tmp_path_factory.mktemp("tiny-qwen2")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.mark.slow  # imports torch and transformers: about 10 s
def test_transformers_generator_streams_text_on_cpu(tiny_lm_dir):
    generator = TransformersGenerator(tiny_lm_dir, device="cpu", max_new_tokens=12)
    pieces = list(generator.stream(MESSAGES))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()
    assert generator.name == f"transformers:{tiny_lm_dir}"
    assert generator.device == "cpu"


@pytest.mark.slow  # imports torch and transformers: about 10 s
def test_transformers_generator_falls_back_to_the_folders_own_tokenizer(tiny_lm_dir):
    from transformers import PreTrainedTokenizerFast

    # AutoTokenizer maps this qwen2 folder to Qwen2Tokenizer, whose ids are wrong for a WordLevel vocabulary.
    own = PreTrainedTokenizerFast.from_pretrained(tiny_lm_dir)
    expected = own("政协委员", add_special_tokens=False)["input_ids"]
    assert len(expected) == 4
    generator = TransformersGenerator(tiny_lm_dir, device="cpu", max_new_tokens=2)
    assert generator._tokenizer("政协委员", add_special_tokens=False)["input_ids"] == expected


@pytest.mark.slow  # imports torch and transformers: about 10 s
def test_transformers_generator_without_chat_template(tiny_lm_dir, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(tiny_lm_dir, plain)
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    config_path = plain / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.pop("chat_template", None)
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    generator = TransformersGenerator(plain, device="cpu", max_new_tokens=6)
    assert not getattr(generator._tokenizer, "chat_template", None)
    assert "".join(generator.stream(MESSAGES)).strip()


@pytest.mark.slow  # imports torch and transformers: about 10 s
def test_transformers_generator_stops_when_the_reader_stops(tiny_lm_dir):
    generator = TransformersGenerator(tiny_lm_dir, device="cpu", max_new_tokens=400)
    stream = generator.stream(MESSAGES)
    assert isinstance(next(stream), str)
    started = time.monotonic()
    stream.close()  # joins the generation thread, which must stop well before 400 tokens
    assert time.monotonic() - started < 5
    assert not [t for t in threading.enumerate() if t.name == "generate"]


@pytest.mark.slow  # imports torch and transformers: about 10 s
def test_transformers_generator_bad_dirs(tmp_path):
    with pytest.raises(GenerationError, match="not a directory"):
        TransformersGenerator(tmp_path / "missing")
    with pytest.raises(GenerationError, match="cannot load language model"):
        TransformersGenerator(tmp_path)


# --- make_generator ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [None, "", "  ", "none", "None"])
def test_no_generator(spec):
    assert make_generator(spec) is None


def test_openai_spec():
    generator = make_generator("openai:http://127.0.0.1:11434/v1|qwen2.5:7b")
    assert isinstance(generator, OpenAICompatibleGenerator)
    assert (generator.base_url, generator.model, generator.api_key_env) == (
        "http://127.0.0.1:11434/v1",
        "qwen2.5:7b",
        "OPENAI_API_KEY",
    )
    assert generator.name == "openai-compatible:qwen2.5:7b@http://127.0.0.1:11434/v1"


def test_openai_spec_with_key_env():
    generator = make_generator("openai:https://api.deepseek.com|deepseek-chat|DEEPSEEK_API_KEY")
    assert (generator.base_url, generator.model, generator.api_key_env) == (
        "https://api.deepseek.com",
        "deepseek-chat",
        "DEEPSEEK_API_KEY",
    )


@pytest.mark.slow  # imports torch and transformers: about 10 s
def test_transformers_spec(tiny_lm_dir):
    generator = make_generator(f"transformers:{tiny_lm_dir}")
    assert isinstance(generator, TransformersGenerator)
    assert generator.name == f"transformers:{tiny_lm_dir}"


@pytest.mark.parametrize(
    "spec",
    [
        "gpt-4o",
        "llama:/models/x",
        "openai:",
        "openai:http://127.0.0.1:11434/v1",
        "openai:|qwen2.5:7b",
        "openai:http://127.0.0.1:11434/v1|",
        "openai:127.0.0.1:11434/v1|qwen2.5:7b",
        "openai:http://a|b|C|D",
        "transformers:",
        "transformers:   ",
    ],
)
def test_bad_specs_name_the_accepted_forms(spec):
    with pytest.raises(RagError, match=r"expected .*openai:<base_url>\|<model>.*transformers:<model dir>"):
        make_generator(spec)


def test_key_in_place_of_the_env_var_is_not_echoed():
    with pytest.raises(RagError, match="names the environment variable") as caught:
        make_generator(f"openai:https://api.deepseek.com|deepseek-chat|{KEY}")
    assert KEY not in str(caught.value)
