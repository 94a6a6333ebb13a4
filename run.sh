#!/usr/bin/env bash
# Sets up on first use, then starts the chat app and its HTTP API (/docs) on http://127.0.0.1:7860 (RAG_PORT to change);
# index/ is built from corpus/ on the first start, and brought up to date on later ones.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/python app_gradio.py
