import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import IndexCorrupt, IndexNotFound, ManifestMismatch
from rag.index import Index, build_index, is_stale, resolve_build_dir
from rag.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent


def search_first(index_dir, embedder, question):
    retriever = Retriever(Index.load(index_dir, embedder.id, Settings()), embedder, Settings())
    return retriever.search(question).hits[0].chunk


def test_manifest_records_schema_embedder_chunking_hashes_and_counts(built_index, embedder):
    manifest = json.loads((resolve_build_dir(built_index) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 1
    assert manifest["embedder"] == {"id": embedder.id, "dim": 384, "normalized": True}
    assert manifest["chunking"]["chunk_size"] == Settings().chunk_size
    assert set(manifest["corpus"]["files"]) == {p.name for p in (REPO / "corpus").glob("*.txt")}
    assert all(f["hash"].startswith("sha256:") for f in manifest["corpus"]["files"].values())
    assert manifest["corpus"]["reports"] == 6
    assert manifest["corpus"]["chunks"] == len(Index.load(built_index).chunks)


def test_saved_index_loads_and_answers_like_the_fresh_one(built_index, retriever, embedder):
    question = "金湖县政协提案立案多少件？"
    assert search_first(built_index, embedder, question) == retriever.search(question).hits[0].chunk


def test_unchanged_corpus_is_not_rebuilt(workspace, embedder):
    corpus, index = workspace
    before = resolve_build_dir(index)
    report = build_index(corpus, index, embedder, Settings())
    assert not report.touched and report.embedded == 0
    assert resolve_build_dir(index) == before


def test_edit_add_remove_reembed_only_what_changed(workspace, embedder):
    corpus, index = workspace
    edited = corpus / "003_7e3b9d5873070fdf.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n杜集区政协2025年将新建委员之家8个。\n", encoding="utf-8")
    (corpus / "004_96ed0689c85e4c9d.txt").unlink()
    (corpus / "new.txt").write_text("盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件,办结率100%。\n", encoding="utf-8")
    report = build_index(corpus, index, embedder, Settings())
    assert report.changed == ["003_7e3b9d5873070fdf.txt"] and report.added == ["new.txt"]
    assert report.removed == ["004_96ed0689c85e4c9d.txt"]
    loaded = Index.load(index, embedder.id, Settings())
    touched = [c for c in loaded.chunks if c.doc in ("003_7e3b9d5873070fdf.txt", "new.txt")]
    assert report.embedded == len(touched)
    assert not any(c.doc.startswith("004") for c in loaded.chunks)
    assert "委员之家8个" in search_first(index, embedder, "杜集区政协2025年要新建几个委员之家？").text
    assert "136件" in search_first(index, embedder, "盱眙县政协立案提案多少件？").text


def test_bad_file_is_skipped_with_its_name_and_the_rest_indexed(workspace, embedder):
    corpus, index = workspace
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blob.txt").write_bytes(bytes(range(256)) * 20)
    report = build_index(corpus, index, embedder, Settings())
    assert set(report.failed) == {"empty.txt", "blob.txt"}
    assert "empty.txt" in report.failed["empty.txt"]
    assert report.reports == 6
    assert not is_stale(index, corpus, embedder.id, Settings())  # a known-bad file does not force rebuilds


def test_other_embedder_is_refused_with_the_fix(built_index):
    with pytest.raises(ManifestMismatch, match="rag index"):
        Index.load(built_index, "st:some-other-model", Settings())


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFound, match="rag index"):
        Index.load(tmp_path / "nowhere")


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
def test_truncated_files_are_named_with_the_fix(workspace, damaged, named):
    _, index = workspace
    path = resolve_build_dir(index) / damaged
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    with pytest.raises(IndexCorrupt, match=named) as raised:
        Index.load(index)
    assert "rag index --rebuild" in str(raised.value)


def test_bm25_store_of_another_build_is_refused(workspace, embedder):
    """A well-formed BM25 store that does not match the chunks would rank the wrong passages."""
    from rag.index import build_bm25

    _, index = workspace
    build_dir = resolve_build_dir(index)
    chunks = Index.load(index).chunks
    shutil.rmtree(build_dir / "bm25")
    build_bm25(chunks[:-3]).save(str(build_dir / "bm25"))
    with pytest.raises(IndexCorrupt, match="BM25 documents"):
        Index.load(index)


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
def test_app_refuses_to_serve_a_corrupt_index(workspace, damaged):
    corpus, index = workspace
    path = resolve_build_dir(index) / damaged
    path.write_bytes(b"\x00garbage")
    env = {**os.environ, "RAG_CORPUS": str(corpus), "RAG_INDEX": str(index), "RAG_PORT": "7991"}
    done = subprocess.run([sys.executable, "app_gradio.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "rag index --rebuild" in done.stderr and damaged.split("/")[0] in done.stderr
    assert "Traceback" not in done.stderr and "Running on" not in done.stdout
