#!/usr/bin/env bash
# The main job: set up, build the book (live widgets included) and serve it on this machine.
#   scripts/serve-book.sh [PORT]      (default 8000; open http://127.0.0.1:PORT/)
# The site is one static folder (_build/html) with everything it needs: no CDN at run time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${1:-8000}"

bash scripts/setup.sh
bash scripts/build-book.sh
echo "serve-book: http://127.0.0.1:$PORT/  (Ctrl-C to stop)"
exec .venv/bin/python -m http.server "$PORT" --bind 127.0.0.1 --directory _build/html
