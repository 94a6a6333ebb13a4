"""The app SIGKILLed in the middle of an upload, then restarted on the same corpus and index.

One workspace goes through three crashes in a row, each during the upload of a different
report (a third of the 姜堰 report with the place renamed and one sentence with a figure of
its own, so indexing takes a few seconds):

- 0.2 s after its identity was confirmed: the app is staging it;
- 1 s after its staging corpus appeared under index/: the app is reading and embedding it;
- as soon as a new build appears under index/builds/: the app is writing the new index.

An upload is indexed from a staging corpus and enters corpus/ only once its index is
published (rag.uploads). What is acceptable after each crash: the corpus holds the original
files plus, for each upload, either nothing or the whole file; an upload killed before its
index was published is not in corpus/, so it is not indexed on the next start either. A file
that made it into corpus/ is answerable once the app is back; one that did not is not
answerable. An upload the app had acknowledged must be in. The previous index always loads
and answers, and `rag index` afterwards has nothing left to do.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.index import BUILDS, is_stale, read_manifest, resolve_build_dir

REPO = Path(__file__).resolve().parent.parent
ORIGINAL_QUESTION, ORIGINAL_FIGURE = "金湖县政协提案立案多少件？", "159"
# (place, city, figure): each upload is a different report with a figure found nowhere else.
UPLOADS = [("泗洪区", "宿迁市", "739"), ("涟水县", "淮安市", "826"), ("沭阳县", "宿迁市", "953")]
KILL_WAIT_S = 60  # the longest any kill point may take to come


def _report(place: str, city: str, figure: str) -> str:
    source = (REPO / "corpus" / "000_2433891f3505c585.txt").read_text(encoding="utf-8")
    part = source[: len(source) // 3].replace("姜堰区", place).replace("姜堰", place[:-1]).replace("泰州市", city)
    return part + f"\n\n{place}政协全年组织“银杏论坛”活动{figure}场。\n"


def _question(place: str) -> str:
    return f"{place}政协全年组织“银杏论坛”活动多少场？"


def _builds_in_progress(index: Path) -> bool:
    return (index / BUILDS).is_dir() and any(name.startswith(".staging-") for name in os.listdir(index / BUILDS))


def _upload_staged(index: Path) -> bool:
    return any(name.startswith(".upload-") for name in os.listdir(index))


def _upload_and_kill(app, upload: Path, corpus: Path, index: Path, point: str) -> str:
    """Send `upload`, SIGKILL the app at `point`; returns what had happened by then."""
    target = corpus / upload.name
    session = app.user()
    try:
        job = session.submit_upload(upload)
        sent = time.monotonic()
        appeared = None
        deadline = sent + KILL_WAIT_S
        while time.monotonic() < deadline and not job.done():
            now = time.monotonic()
            if appeared is None and _upload_staged(index):
                appeared = now
            if point == "0.2 s after sending" and now - sent >= 0.2:
                break
            if point == "1 s into indexing" and appeared is not None and now - appeared >= 1.0:
                break
            if point == "while the new index is written" and _builds_in_progress(index):
                break
            time.sleep(0.002)
        else:
            if not job.done():
                pytest.fail(f"kill point {point!r} did not come within {KILL_WAIT_S} s:\n{app.log_tail()}")
        acknowledged = job.done() and not job.exception() and "已加入" in job.result()[0]
        app.stop(kill=True)
    finally:
        session.close()
    indexed = upload.name in read_manifest(resolve_build_dir(index))["corpus"]["files"]
    return (
        "acknowledged" if acknowledged
        else "indexed, not acknowledged" if indexed
        else "in corpus/, not indexed" if target.exists()
        else "not in corpus/"
    )


def _ask(app, question: str) -> str:
    session = app.user()
    try:
        return session.ask(question)[0]
    finally:
        session.close()


@pytest.mark.slow
def test_a_killed_upload_leaves_the_old_index_and_a_whole_file_or_none(app_runner, workspace, tmp_path, embedder):
    started = time.monotonic()
    corpus, index = workspace
    original = {p.name: p.read_bytes() for p in corpus.iterdir()}
    points = ["0.2 s after sending", "1 s into indexing", "while the new index is written"]
    kept: dict[str, bytes] = {}  # uploads that made it into corpus/, by name
    outcomes = []

    app = app_runner(corpus, index)
    try:
        assert ORIGINAL_FIGURE in _ask(app, ORIGINAL_QUESTION)  # also loads jieba before the clock matters
        for point, (place, city, figure) in zip(points, UPLOADS):
            upload = tmp_path / f"{place}政协2024年工作报告.txt"
            upload.write_text(_report(place, city, figure), encoding="utf-8")
            state = _upload_and_kill(app, upload, corpus, index, point)
            outcomes.append((point, state))

            # Nothing half-written is visible: every report file is an original or a whole upload.
            visible = {p.name: p.read_bytes() for p in corpus.iterdir() if not p.name.startswith(".")}
            if upload.name in visible:
                assert visible.pop(upload.name) == upload.read_bytes(), f"{upload.name} is in corpus/ but not whole"
                kept[upload.name] = upload.read_bytes()
            else:
                assert state != "acknowledged", f"the app acknowledged {upload.name} but it is not in corpus/"
            if point == "while the new index is written":
                assert upload.name not in visible and upload.name not in kept, "an upload killed before its index was published is in corpus/"
            assert visible == {**original, **{n: b for n, b in kept.items() if n != upload.name}}

            app = app_runner(corpus, index)  # rebuilds a stale index before serving
            assert not is_stale(index, corpus, embedder.id, Settings()), "the restarted app serves a stale index"
            assert ORIGINAL_FIGURE in _ask(app, ORIGINAL_QUESTION), "the previous index does not answer after a kill"
            answer = _ask(app, _question(place))
            if upload.name in kept:
                assert figure in answer, f"{upload.name} is in corpus/ but not answerable after the restart: {answer[:200]}"
            else:
                assert figure not in answer
    finally:
        app.stop()

    result = subprocess.run(
        [sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--index", str(index)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "(0 embedded)" in result.stdout + result.stderr, "the restarted app left work for `rag index`"
    # A build killed while being written is debris: the next build clears it away.
    assert os.listdir(index / BUILDS) == [resolve_build_dir(index).name]
    # The last point is reached only once a build is being written, so before it is published.
    assert outcomes[-1][1] == "not in corpus/", f"no kill came during indexing: {outcomes}"
    print(f"kill outcomes: {outcomes}; {time.monotonic() - started:.0f} s")
