#!/usr/bin/env bash
# Creates .venv and installs the project into it; a second run with an unchanged
# pyproject.toml does nothing. torch goes in first as the CPU build: left to the
# resolver, sentence-transformers would pull a CUDA build of several GB.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser test (tests/test_app.py) drives Chromium; the font keeps Chinese legible in
# screenshots. LibreOffice reads Word 97-2003 .doc files (rag/readers/doc.py). Without root the
# install fails and the tests needing them are skipped, not the setup.
if ! command -v chromium >/dev/null; then
  (apt-get update && apt-get install -y chromium fonts-wqy-zenhei) ||
    echo "setup.sh: could not install chromium; tests/test_app.py will be skipped" >&2
fi
if ! command -v soffice >/dev/null; then
  (apt-get update && apt-get install -y --no-install-recommends libreoffice-writer-nogui) ||
    echo "setup.sh: could not install LibreOffice; .doc files cannot be read and their tests are skipped" >&2
fi

# tests/test_ui.py checks every tab with axe-core (accessibility): npm puts it under .venv/, which git
# ignores. Without npm the check is skipped.
if [ ! -f .venv/npm/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null; then
  npm install --silent --no-audit --no-fund --prefix .venv/npm axe-core@4 ||
    echo "setup.sh: could not install axe-core; the accessibility check of tests/test_ui.py is skipped" >&2
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
rm -f .venv/.installed-*
touch "$stamp"
