#!/usr/bin/env bash
# Build the book into _build/html: fetch the offline widget JavaScript, then run
# Jupyter Book with warnings as errors (a failing notebook cell is an error).
# Extra arguments go to `jupyter-book build`, e.g. --all for a full rebuild
# (needed after changing book/_ext: Sphinx does not rewrite unchanged pages).
# Uses the venv in .venv (override with VENV=...). Exits non-zero on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
cd "$ROOT"

bash scripts/fetch-web-assets.sh
# The rule catalogue is generated from the registry (never written twice).
"$VENV/bin/python" -m pumpbill.bookgen book/reference/rules
# The live (in-browser) Python: Pyodide and the wheels, served by the site (lite/README.md).
bash scripts/build-lite.sh
export PATH="$VENV/bin:$PATH"
"$VENV/bin/jupyter-book" build . -W -n --keep-going "$@"
