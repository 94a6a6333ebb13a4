#!/usr/bin/env bash
# Sets up on first use, then runs the whole test suite (about 6 minutes on 2 cores).
# `bash test.sh -m "not slow"` runs only the unit tests on tests/data (under a minute).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
