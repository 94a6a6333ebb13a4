#!/usr/bin/env bash
# Sets up on first use, then runs the whole test suite (about 3 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
