#!/usr/bin/env bash
# Prepare the JupyterLite lite dir that jupyterlite-sphinx builds into the book
# (_build/html/lite/): Pyodide and every Python wheel the browser needs, served
# from the site itself. Downloads happen here, at build time only (npm registry,
# PyPI); the built site fetches nothing from a CDN or PyPI.
#
#   build/lite/                  the lite dir (`jupyterlite_dir` in _config.yml)
#     jupyter_lite_config.json   copied from lite/ (no source maps, ...)
#     jupyter-lite.json          from lite/, plus the preload list (make_lock.py)
#     static/pyodide/            Pyodide runtime, rewritten pyodide-lock.json, wheels
#   build/lite-cache/            npm tarball, downloaded/built wheels (reused)
#
# Idempotent: cached downloads are reused, build/lite is rebuilt each time (a few
# seconds). The pumpbill wheel is rebuilt from the working tree every time.
# Both folders are git-ignored (/build/). Uses .venv (override with VENV=...),
# output dir override: LITE_OUT=... ; --offline: no npm/PyPI downloads, the caches
# must hold Pyodide and every wheel (building the pumpbill wheel still needs
# setuptools from pip's cache or PyPI).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
OUT="${LITE_OUT:-$ROOT/build/lite}"
CACHE="${LITE_CACHE:-$ROOT/build/lite-cache}"
OFFLINE=()
[[ "${1:-}" == "--offline" ]] && OFFLINE=(--offline)

# The npm `pyodide` package: runtime + pyodide-lock.json (no wheels). Its version
# must be the one jupyterlite-pyodide-kernel expects (make_lock.py checks it
# against lite/browser-packages.toml and the installed kernel).
PYODIDE_VERSION="$("$PY" -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["pyodide"]["version"])' "$ROOT/lite/browser-packages.toml")"
# sha512 of the registry tarball (npm view pyodide@VERSION dist.integrity)
declare -A PYODIDE_INTEGRITY=(
    [314.0.6]="sha512-BKDTJyIqFxC4BExLqeRS3f5xvXZIjOt8C3zGLN/Cc7tFxSwvKVhVkchQQ2AGLOtR4YrVOIFxbV8poyDOOmWwxQ=="
)

log() { echo "build-lite: $*"; }
die() { echo "build-lite: error: $*" >&2; exit 1; }

[[ -x "$PY" ]] || die "no Python at $PY (create the venv, or set VENV=...)"
"$PY" -c 'import jupyterlite_core, jupyterlite_pyodide_kernel, jupyterlite_sphinx, packaging' 2>/dev/null ||
    die "install jupyterlite-core==0.8.6 jupyterlite-pyodide-kernel==0.8.6 jupyterlite-sphinx==0.23.0 into $VENV"

# 1. Pyodide runtime from npm (cached, integrity-checked)
NPM_DIR="$CACHE/npm/pyodide-$PYODIDE_VERSION"
if [[ ! -f "$NPM_DIR/package.json" ]] ||
    [[ "$(node -p "require('$NPM_DIR/package.json').version")" != "$PYODIDE_VERSION" ]]; then
    [[ ${#OFFLINE[@]} -eq 0 ]] || die "pyodide $PYODIDE_VERSION not in $CACHE and --offline given"
    command -v npm >/dev/null || die "npm not found (install Node.js)"
    want="${PYODIDE_INTEGRITY[$PYODIDE_VERSION]:-}"
    [[ -n "$want" ]] || die "no integrity recorded for pyodide $PYODIDE_VERSION: add it to PYODIDE_INTEGRITY"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    log "npm pack pyodide@$PYODIDE_VERSION"
    (cd "$tmp" && npm pack --silent --json "pyodide@$PYODIDE_VERSION" >pack.json)
    got="$(node -p "require('$tmp/pack.json')[0].integrity")"
    [[ "$got" == "$want" ]] || die "integrity mismatch for pyodide@$PYODIDE_VERSION: $got"
    rm -rf "$NPM_DIR"
    mkdir -p "$NPM_DIR"
    tar -xzf "$tmp"/*.tgz -C "$NPM_DIR" --strip-components=1
    rm -rf "$tmp"
    trap - EXIT
fi

# 2. The pumpbill wheel, from the working tree (always rebuilt). Built from a
# clean copy of the package: an in-tree setuptools build would reuse a stale
# build/lib/ (deleted modules would still ship).
LOCAL="$CACHE/local"
rm -rf "$LOCAL"
mkdir -p "$LOCAL/src"
log "building the pumpbill wheel"
(cd "$ROOT" && tar -cf - --exclude=__pycache__ --exclude='*.pyc' pyproject.toml pumpbill \
    $(ls -d README* LICENSE* 2>/dev/null || true)) | tar -xf - -C "$LOCAL/src"
"$PY" -m pip wheel --no-deps --no-cache-dir -w "$LOCAL" "$LOCAL/src" >"$LOCAL/pip-wheel.log" 2>&1 ||
    { cat "$LOCAL/pip-wheel.log" >&2; die "pip wheel of pumpbill failed (log above)"; }
rm -rf "$LOCAL/src"
PUMPBILL_WHL=("$LOCAL"/pumpbill-*.whl)

# 3. The lite dir: committed config, then Pyodide + wheels + lock (make_lock.py)
mkdir -p "$OUT"
rm -f "$OUT/jupyter-lite.json" "$OUT/jupyter_lite_config.json" "$OUT/overrides.json"
cp "$ROOT/lite/jupyter-lite.json" "$ROOT/lite/jupyter_lite_config.json" "$OUT/"
[[ -f "$ROOT/lite/overrides.json" ]] && cp "$ROOT/lite/overrides.json" "$OUT/"
"$PY" "$ROOT/lite/make_lock.py" --pyodide-dir "$NPM_DIR" --out "$OUT" --cache "$CACHE/wheels" \
    --local-wheel "${PUMPBILL_WHL[0]}" "${OFFLINE[@]}"

log "ready: $OUT ($(du -sh "$OUT" | cut -f1))"
