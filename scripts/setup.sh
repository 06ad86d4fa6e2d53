#!/usr/bin/env bash
# Set up everything pumpbill needs, idempotently, on a fresh machine:
#   .venv/ at the repo root with the package (editable) and its pinned dependencies,
#   node/npm for the build-time web assets, and with --browser Debian's Chromium.
#
#   scripts/setup.sh            # book + tests (Python side)
#   scripts/setup.sh --browser  # also Chromium for the browser tests
#
# pip runs only when pyproject.toml or requirements/constraints.txt changed since the
# last successful setup (a stamp in .venv). Nothing is downloaded at run time by the book.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BROWSER=0
[[ "${1:-}" == "--browser" ]] && BROWSER=1

log() { echo "setup: $*"; }
SUDO=""
[[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null && SUDO="sudo"

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    log "apt-get install ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' ||
    { echo "setup: Python 3.11+ is required" >&2; exit 1; }
command -v npm >/dev/null || apt_install nodejs npm
[[ $BROWSER -eq 1 ]] && { [[ -x /usr/bin/chromium ]] || apt_install chromium; }
# Java 17+ for the audit's Spark engine (pyspark local mode in the tests).
java -version >/dev/null 2>&1 || apt_install openjdk-17-jre-headless

if [[ ! -x .venv/bin/python ]]; then
    log "creating .venv"
    "$PY" -m venv .venv
fi
stamp=.venv/.pumpbill-setup
want="$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat $stamp)" != "$want" ]]; then
    log "installing Python packages into .venv (pinned by requirements/constraints.txt)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -c requirements/constraints.txt -e ".[all]"
    echo "$want" >$stamp
fi
log "ready (.venv: $(.venv/bin/python --version), pumpbill $(.venv/bin/python -c 'import pumpbill; print(pumpbill.__version__)'))"
