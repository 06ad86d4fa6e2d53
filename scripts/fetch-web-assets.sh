#!/usr/bin/env bash
# Fetch the JavaScript that renders ipywidgets in the static book, from the npm
# registry, so that built pages load nothing from a CDN.
#
#   build/web-assets/npm/         downloaded package tarballs (npm pack), unpacked
#   build/web-assets/npm/axe-core/axe.min.js
#                                 the accessibility checker, for the browser tests
#                                 only (tests/browser/test_a11y.py): never served
#   build/web-assets/static/pumpbill-widgets/
#                                 what the book serves; book/_ext/pumpbill_offline.py
#                                 adds build/web-assets/static to html_static_path, so
#                                 it ends up in _build/html/_static/pumpbill-widgets/
#
# Idempotent: packages already unpacked at the pinned version are not fetched again.
# Both folders are git-ignored (/build/).
set -euo pipefail

# @jupyter-widgets/html-manager 1.0.x is the embed manager for ipywidgets 8.
HTML_MANAGER_VERSION=1.0.15
REQUIREJS_VERSION=2.3.8
# axe-core runs in the browser tests only; it is not copied into the site.
AXE_CORE_VERSION=4.14.1
# sha512 integrity of the registry tarballs (npm view PKG@VER dist.integrity).
HTML_MANAGER_INTEGRITY="sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="
REQUIREJS_INTEGRITY="sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw=="
AXE_CORE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/build/web-assets"
NPM_DIR="$WEB/npm"
OUT="$WEB/static/pumpbill-widgets"

command -v npm >/dev/null || { echo "fetch-web-assets: npm not found (install Node.js)" >&2; exit 1; }

# fetch NAME VERSION INTEGRITY DIRNAME: unpack NAME@VERSION into $NPM_DIR/DIRNAME.
fetch() {
    local name=$1 version=$2 integrity=$3 dir="$NPM_DIR/$4"
    if [[ -f "$dir/package.json" ]] &&
        [[ "$(node -p "require('$dir/package.json').version")" == "$version" ]]; then
        return 0
    fi
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent --json "$name@$version" >pack.json)
    local got
    got="$(node -p "require('$tmp/pack.json')[0].integrity")"
    if [[ "$got" != "$integrity" ]]; then
        echo "fetch-web-assets: integrity mismatch for $name@$version: $got" >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
    echo "fetch-web-assets: $name@$version"
}

mkdir -p "$NPM_DIR"
fetch @jupyter-widgets/html-manager "$HTML_MANAGER_VERSION" "$HTML_MANAGER_INTEGRITY" html-manager
fetch requirejs "$REQUIREJS_VERSION" "$REQUIREJS_INTEGRITY" requirejs
fetch axe-core "$AXE_CORE_VERSION" "$AXE_CORE_INTEGRITY" axe-core

# Copy what the pages need (about 5 MB): require.js, the AMD embed bundle and the
# Font Awesome fonts it loads from its own folder (woff2/woff; no eot/svg, no maps).
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$NPM_DIR/requirejs/require.js" "$OUT/require.js"
cp "$NPM_DIR/html-manager/dist/embed-amd.js" "$OUT/embed-amd.js"
cp "$NPM_DIR"/html-manager/dist/*.woff2 "$NPM_DIR"/html-manager/dist/*.woff "$OUT/"
cp "$NPM_DIR/html-manager/dist/embed.js.LICENSE.txt" "$OUT/embed-amd.js.LICENSE.txt"
node -e '
for (const d of process.argv.slice(1)) {
    const p = require(d + "/package.json");
    console.log(`${p.name} ${p.version} (${p.license})`);
}' "$NPM_DIR/html-manager" "$NPM_DIR/requirejs" >"$OUT/VERSIONS.txt"
