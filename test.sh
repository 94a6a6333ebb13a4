#!/usr/bin/env bash
# Sets up on first use, then runs the whole test suite (6-10 minutes on 2 cores: 810 tests took 385 s on 2026-12-02, evening, and 568 s from a clean clone on 2026-12-03, a slower morning).
# `bash test.sh -m "not slow"` runs only the unit tests on tests/data (under a minute).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
