"""The Milvus vector store (on milvus-lite) answers like the FAISS one on the shipped corpus."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rag.cli import main
from rag.config import Settings
from rag.errors import ManifestMismatch
from rag.index import Index, build_index, resolve_build_dir
from rag.records import SearchFilter
from rag.retrieve import Retriever
from rag.text import normalize

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
QUESTIONS = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
MILVUS = replace(Settings(), vector_store="milvus")


@pytest.fixture(scope="module")
def milvus_index(tmp_path_factory, built_index, embedder):
    """The session's FAISS index moved into milvus-lite: `rag index --store milvus` on an existing index."""
    index_dir = tmp_path_factory.mktemp("milvus") / "index"
    shutil.copytree(built_index, index_dir, symlinks=True)
    report = build_index(CORPUS, index_dir, embedder, MILVUS)
    assert report.embedded == 0  # the vectors moved, none was embedded again
    return index_dir


def top_rows(store, query, k=10):
    scores, rows = store.search(query.reshape(1, -1), k)
    return dict(zip(rows[0].tolist(), scores[0].tolist()))


def test_milvus_returns_the_faiss_rows_for_every_eval_question(milvus_index, built_index, embedder):
    faiss_store = Index.open(built_index, embedder.id, Settings()).store
    milvus = Index.open(milvus_index, embedder.id, MILVUS)
    assert (resolve_build_dir(milvus_index) / "milvus.db").is_dir() and not (resolve_build_dir(milvus_index) / "vectors.faiss").exists()
    for question in QUESTIONS:
        query = embedder.embed_query(normalize(question))
        expected, got = top_rows(faiss_store, query), top_rows(milvus.store, query)
        cutoff = min(expected.values())
        for row in expected.keys() | got.keys():
            if row in expected and row in got:
                assert abs(expected[row] - got[row]) < 1e-5, question
            else:  # only a tie at the 10th place may swap a row
                assert abs(expected.get(row, got.get(row)) - cutoff) < 1e-5, (question, row)


def test_milvus_retriever_gives_the_same_hits(milvus_index, retriever, embedder):
    milvus = Retriever(Index.open(milvus_index, embedder.id, MILVUS), embedder, MILVUS)
    for question in QUESTIONS[::4]:
        expected, got = retriever.search(question, top_k=10), milvus.search(question, top_k=10)
        assert [h.chunk.chunk_id for h in got.hits] == [h.chunk.chunk_id for h in expected.hits], question
        assert got.abstain == expected.abstain


def test_rag_search_prints_the_same_with_rag_vector_store(capsys, monkeypatch, milvus_index, built_index):
    question = "金湖县政协提案立案多少件？"
    assert main(["search", question, "--index", str(built_index), "--top-k", "10"]) == 0
    with_faiss = capsys.readouterr().out
    monkeypatch.setenv("RAG_VECTOR_STORE", "milvus")
    assert main(["search", question, "--index", str(milvus_index), "--top-k", "10"]) == 0
    assert capsys.readouterr().out == with_faiss and "159" in with_faiss


def test_other_store_configured_is_refused_with_the_fix(capsys, milvus_index, embedder):
    with pytest.raises(ManifestMismatch, match="RAG_VECTOR_STORE=milvus"):
        Index.open(milvus_index, embedder.id, Settings())
    assert main(["search", "金湖县政协提案立案多少件？", "--index", str(milvus_index)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RAG_VECTOR_STORE=milvus" in err and "rag index --store faiss" in err


def test_bad_store_setting_names_the_accepted_forms(capsys):
    with pytest.raises(ValueError, match="milvus:<uri>"):
        replace(Settings(), vector_store="chroma")
    assert main(["index", "--store", "chroma", "--index", "/nonexistent"]) == 1
    assert "milvus:<uri>" in capsys.readouterr().err


def test_incremental_milvus_build_embeds_only_the_new_file_and_drops_old_collections(tmp_path, built_index, embedder):
    """A shared milvus-lite file, as a Milvus server is used: one collection per build, two generations kept."""
    from pymilvus import MilvusClient

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(built_index, index, symlinks=True)
    uri = str(tmp_path / "vectors.db")
    settings = replace(Settings(), vector_store=f"milvus:{uri}")
    first = build_index(corpus, index, embedder, settings)
    (corpus / "new.txt").write_text("盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n", encoding="utf-8")
    second = build_index(corpus, index, embedder, settings)
    assert second.added == ["new.txt"] and 0 < second.embedded <= 2
    retriever = Retriever(Index.open(index, embedder.id, settings), embedder, settings)
    assert "136件" in retriever.search("盱眙县政协立案提案多少件？").hits[0].chunk.text
    assert "159" in retriever.search("金湖县政协提案立案多少件？").hits[0].chunk.text  # kept rows read back from Milvus

    (corpus / "new.txt").unlink()
    third = build_index(corpus, index, embedder, settings)
    assert third.removed == ["new.txt"]
    collections = set(MilvusClient(uri).list_collections())
    names = {"rag_" + Path(r.path).name.replace("-", "_") for r in (first, second, third)}
    assert collections == names - {"rag_" + Path(first.path).name.replace("-", "_")}
    assert sorted(p.name for p in (index / "builds").iterdir()) == sorted(Path(r.path).name for r in (second, third))


def test_above_exact_threshold_ivf_sq8_rescored_exactly_finds_the_same_passages(tmp_path, built_index, embedder, retriever):
    """The 10^6-chunk layout on the shipped corpus: IVF-SQ8 codes, exact scores read back from vectors.npy."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(built_index, index, symlinks=True)
    (corpus / "new.txt").write_text("盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n", encoding="utf-8")
    settings = replace(Settings(), exact_threshold=0)
    build_index(corpus, index, embedder, settings)
    loaded = Index.open(index, embedder.id, settings)
    assert loaded.manifest["dense"]["type"] == "ivf-sq8" and (loaded.path / "vectors.npy").exists()
    compact = Retriever(loaded, embedder, settings)
    for question in ("金湖县政协提案立案多少件？", "镇江市政协新增设了哪个界别？", "洪泽区政协委员走访了多少个住宅小区？"):
        assert compact.search(question).hits[0].chunk == retriever.search(question).hits[0].chunk
    assert "136件" in compact.search("盱眙县政协立案提案多少件？").hits[0].chunk.text
    flat = Index.open(built_index).store
    query = embedder.embed_query("委员读书活动")
    expected, got = top_rows(flat, query), top_rows(loaded.store, query)
    by_id = {c.chunk_id: row for row, c in enumerate(Index.open(built_index).chunks)}
    for row, score in got.items():
        if loaded.chunks[row].chunk_id in by_id:  # rows of the shipped corpus: the exact flat score
            assert abs(expected.get(by_id[loaded.chunks[row].chunk_id], score) - score) < 1e-5
    only_jinhu = SearchFilter(committees=frozenset({"金湖县政协"}))
    assert all(h.chunk.short_name == "金湖县政协" for h in compact.search("提案", where=only_jinhu).hits)
