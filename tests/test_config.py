"""rag.config: Settings from the environment, the corpus and index locations, the offline switches."""

import os
from pathlib import Path

import pytest

from rag.config import Settings, locations_from_env, use_offline_defaults

OFFLINE = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "GRADIO_ANALYTICS_ENABLED",
           "TOKENIZERS_PARALLELISM", "OMP_WAIT_POLICY")


def test_settings_read_the_three_variables():
    settings = Settings.from_env(
        {"RAG_EMBEDDER": "st:/models/minilm", "RAG_GENERATOR": "openai:http://127.0.0.1:1/v1|m", "RAG_VECTOR_STORE": "milvus"}
    )
    assert (settings.embedder, settings.generator, settings.vector_store) == (
        "st:/models/minilm", "openai:http://127.0.0.1:1/v1|m", "milvus"
    )


def test_an_empty_variable_is_unset_and_an_override_wins():
    settings = Settings.from_env({"RAG_EMBEDDER": "", "RAG_VECTOR_STORE": "milvus"}, vector_store="faiss", top_k=3)
    assert settings == Settings(top_k=3)


def test_an_override_of_none_leaves_the_variable_in_force():
    assert Settings.from_env({"RAG_GENERATOR": "none"}, generator=None).generator == "none"


def test_a_bad_variable_names_itself_and_the_accepted_values():
    with pytest.raises(ValueError, match=r"RAG_VECTOR_STORE='chroma'.*'faiss', 'milvus' or 'milvus:<uri>'"):
        Settings.from_env({"RAG_VECTOR_STORE": "chroma"})
    with pytest.raises(ValueError, match="RAG_VECTOR_STORE='milvus:'"):
        Settings.from_env({"RAG_VECTOR_STORE": "milvus:"})


def test_a_bad_variable_that_a_flag_overrides_is_not_read():
    assert Settings.from_env({"RAG_VECTOR_STORE": "chroma"}, vector_store="faiss").vector_store == "faiss"


def test_the_default_index_may_be_built_a_named_one_not():
    assert locations_from_env({}) == (Path("corpus"), Path("index"), True)
    assert locations_from_env({"RAG_CORPUS": "/srv/reports", "RAG_INDEX": "/srv/index"}) == (
        Path("/srv/reports"), Path("/srv/index"), False
    )


def test_offline_defaults_fill_in_and_keep_what_is_set(monkeypatch):
    for variable in OFFLINE:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    use_offline_defaults()
    assert {variable: os.environ[variable] for variable in OFFLINE} == {
        "HF_HUB_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_WAIT_POLICY": "passive",
    }
