#!/usr/bin/env bash
# Local study mode: the book's notebooks, live, in JupyterLab on this machine (a real kernel, fully
# offline). MyST .md pages open as notebooks (jupytext). For instructors and anyone who wants to
# experiment beyond the static site.
#   scripts/study.sh [PORT]        (default 8888; open the URL it prints)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${1:-8888}"
bash scripts/setup.sh
.venv/bin/python -m pumpbill.bookgen >/dev/null
# JupyterLab settings: .md opens as a notebook; every cell stays rendered (no windowing).
SETTINGS="$ROOT/build/study-settings"
mkdir -p "$SETTINGS/@jupyterlab/docmanager-extension" "$SETTINGS/@jupyterlab/notebook-extension"
echo '{"defaultViewers": {"markdown": "Jupytext Notebook"}}' \
    >"$SETTINGS/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
echo '{"windowingMode": "none"}' >"$SETTINGS/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
ROOT_FLAG=()
[[ "$(id -u)" -eq 0 ]] && ROOT_FLAG=(--allow-root)
exec .venv/bin/jupyter lab --no-browser --ip 127.0.0.1 --port "$PORT" "${ROOT_FLAG[@]}" \
    --ServerApp.root_dir="$ROOT" --LabApp.user_settings_dir="$SETTINGS" \
    --LabApp.default_url=/lab/tree/book/intro.md
