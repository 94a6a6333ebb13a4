#!/usr/bin/env bash
# Sets up on first use, builds index/ from corpus/ if it is missing or stale, then searches.
# Usage: bash run.sh "金湖县政协提案立案多少件？"
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/rag search "${@:-金湖县政协提案立案多少件？}"
