# Shared by scripts/serve and scripts/test: make sure Python deps (and, as root, system
# packages) are present. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root_apt() {
  # apt-get install "$@" when we are root and the packages are missing; quiet otherwise.
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    }
  else
    echo "!! cannot install $* (not root, or no apt-get): install it yourself" >&2
    return 1
  fi
}

if ! command -v python3 >/dev/null; then as_root_apt python3 python3-venv python3-pip; fi
if ! python3 -c "import venv, ensurepip" 2>/dev/null; then as_root_apt python3-venv; fi
PY="$ROOT/.venv/bin/python"
if [ ! -x "$PY" ]; then python3 -m venv "$ROOT/.venv"; fi
STAMP="$ROOT/.venv/.requirements-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)"
if [ ! -f "$STAMP" ]; then
  echo "== installing Python dependencies (pinned, requirements-dev.txt)"
  "$PY" -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v "is ignored" || true
  "$PY" -c "import django, django_fsm, celery, channels, playwright" && touch "$STAMP"
fi

install_frontend() {
  if [ -f node_modules/nhsuk-frontend/package.json ] && [ -f node_modules/axe-core/axe.min.js ]; then
    "$PY" scripts/nhsuk_css.py
    return 0
  fi
  if ! command -v npm >/dev/null; then as_root_apt nodejs npm || true; fi
  if command -v npm >/dev/null; then
    echo "== installing the NHS.UK design system (npm ci)"
    npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent
  else
    echo "!! npm is not available: pages will be served without the NHS.UK styles" >&2
  fi
  "$PY" scripts/nhsuk_css.py
}
