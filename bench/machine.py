"""What every benchmark prints about the run: the code version and the CPU."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_version() -> str:
    """HEAD and whether rag/ has uncommitted edits: others work in this tree while benchmarks run."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "rag"]).returncode != 0
    return f"{head or 'unknown'}{' + uncommitted edits in rag/' if dirty else ''}"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def print_run_header(end: str = "\n") -> None:
    """The command, date, code and CPU lines that open every table a benchmark prints."""
    import os
    import shlex
    import sys
    from datetime import datetime

    print(f"command: `{shlex.join([os.path.relpath(sys.executable), *sys.argv])}`")
    print(f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}; code: {code_version()}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}", end=end, flush=True)
