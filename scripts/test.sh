#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set up (.venv, Chromium), lint, build the book
# (executing every notebook, -W -n), then run pytest on the package tests, the acceptance
# scenarios, the browser tests against the built site, and nbval on every book page.
# Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --browser
echo "test: ruff"
.venv/bin/ruff check .
echo "test: building the book"
bash scripts/build-book.sh
echo "test: pytest"
export PUMPBILL_REQUIRE_SITE=1 PUMPBILL_REQUIRE_SPARK=1
exec .venv/bin/python -m pytest tests book --nbval-lax -p no:cacheprovider -q "$@"
