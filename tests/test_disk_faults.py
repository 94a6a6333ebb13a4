"""A full disk and a read-only index directory while indexing: a clear error, the old index intact.

Root ignores file modes, so chmod cannot make a directory read-only for these tests. Instead
each scenario runs in its own mount namespace (`unshare --map-root-user --mount`, no
privileges needed): the index lives on a small tmpfs filled to the brim (ENOSPC), or on a
read-only bind mount (EROFS). The real `rag` CLI and the real Assistant run there.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
QUESTION = "金湖县政协提案立案多少件？"
NEW_REPORT = "盱眙县政协2024年工作报告\n\n一、提案工作\n\n盱眙县政协全年立案提案136件，办结率100%。\n"

pytestmark = pytest.mark.slow


def _namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--map-root-user", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


requires_namespaces = pytest.mark.skipif(not _namespaces_work(), reason="needs `unshare --mount` (Linux mount namespaces)")


def run_in_namespace(script: str) -> str:
    """Run a bash script in a private mount namespace; its mounts vanish when it ends."""
    done = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "bash", "-c", "set -u\n" + textwrap.dedent(script)],
        capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "HOME": str(Path.home())},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sections(output: str) -> dict[str, str]:
    """Split `=== name` headed blocks of the script's output."""
    found = {}
    for block in output.split("=== ")[1:]:
        name, _, body = block.partition("\n")
        found[name.strip()] = body
    return found


RAG = f"{sys.executable} -m rag"

# Prints the build directories, the CLI's search answer and an upload through the Assistant.
PROBE = f"""
echo "=== builds"; ls -A "$INDEX/builds"
echo "=== current"; readlink "$INDEX/current"
echo "=== search"; {RAG} search "{QUESTION}" --index "$INDEX" --top-k 1 2>&1
echo "=== upload"; {sys.executable} - "$CORPUS" "$INDEX" "$UPLOAD" <<'PY' 2>&1
import sys
from pathlib import Path
from rag.assistant import Assistant, open_retriever
from rag.config import Settings
from rag.errors import RagError
corpus, index, upload = map(Path, sys.argv[1:])
assistant = Assistant(corpus, index, Settings(), open_retriever(corpus, index, Settings(), build_if_stale=False))
try:
    assistant.add_report(upload)
    print("uploaded")
except RagError as exc:
    print("refused:", exc)
print("in corpus:", (corpus / upload.name).exists())
print("answers:", assistant.ask("{QUESTION}").text[:80])
PY
"""


def prepare(workspace, tmp_path):
    corpus, index = workspace
    (corpus / "xuyi.txt").write_text(NEW_REPORT, encoding="utf-8")  # makes `rag index` write a new build
    upload = tmp_path / "upload.txt"
    upload.write_text(NEW_REPORT.replace("盱眙", "涟水"), encoding="utf-8")
    mount = tmp_path / "mnt"
    mount.mkdir()
    old_build = (index / "current").readlink()
    return corpus, index, upload, mount, old_build


def assert_old_index_intact(found: dict[str, str], old_build: Path, reason: str):
    error = found["index"]
    assert "exit=1" in error and reason in error and "previous index is unchanged" in error, error
    assert "Traceback" not in error
    assert found["builds"].split() == [old_build.name], "a partial build was left behind"
    assert found["current"].strip() == str(old_build)
    assert "159" in found["search"], found["search"]
    upload = found["upload"]
    assert "refused:" in upload and reason in upload and "Traceback" not in upload, upload
    assert "in corpus: False" in upload  # the failed upload is not left in the corpus
    assert "159" in upload


@requires_namespaces
def test_disk_full_while_indexing_keeps_the_old_index(workspace, tmp_path):
    corpus, index, upload, mount, old_build = prepare(workspace, tmp_path)
    output = run_in_namespace(f"""
        CORPUS={corpus} UPLOAD={upload} INDEX={mount}/index
        mount -t tmpfs -o size=8m tmpfs {mount}
        cp -a {index} "$INDEX"
        # Fill the disk, then give back 64 KiB: too little for a new build's 170 KiB of vectors.
        dd if=/dev/zero of={mount}/filler bs=64k 2>/dev/null || true
        truncate -s -64k {mount}/filler
        echo "=== index"; {RAG} index --corpus "$CORPUS" --index "$INDEX" 2>&1; echo "exit=$?"
        {PROBE}
        echo "=== after"; rm {mount}/filler; {RAG} index --corpus "$CORPUS" --index "$INDEX" 2>&1; echo "exit=$?"
        {RAG} search "盱眙县政协立案提案多少件？" --index "$INDEX" --top-k 1
    """)
    found = sections(output)
    assert_old_index_intact(found, old_build, "No space left on device")
    assert "exit=0" in found["after"] and "136件" in found["after"], found["after"]


@requires_namespaces
def test_read_only_index_directory_keeps_the_old_index(workspace, tmp_path):
    corpus, index, upload, mount, old_build = prepare(workspace, tmp_path)
    output = run_in_namespace(f"""
        CORPUS={corpus} UPLOAD={upload} INDEX={index}
        mount --bind {index} {index}
        mount -o remount,ro,bind {index}
        echo "=== index"; {RAG} index --corpus "$CORPUS" --index "$INDEX" 2>&1; echo "exit=$?"
        {PROBE}
    """)
    assert_old_index_intact(sections(output), old_build, "Read-only file system")
