#!/usr/bin/env bash
# Sets up on first use, then runs the whole test suite (6-9.5 minutes on 2 cores: 810 tests took 385 s on 2026-12-02, evening).
# `bash test.sh -m "not slow"` runs only the unit tests on tests/data (under a minute).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
