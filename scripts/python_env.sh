# Sourced by the project's scripts: sets PY to a Python >= 3.10 inside a virtualenv.
# Uses the active virtualenv if there is one, else creates/uses .venv in the project.
if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
  PY="$VIRTUAL_ENV/bin/python"
else
  if [ ! -x .venv/bin/python ]; then
    base=${PYTHON:-python3}
    if ! command -v "$base" >/dev/null 2>&1; then
      echo "error: $base not found; install Python 3.10 or newer" >&2
      exit 1
    fi
    echo "creating virtualenv .venv" >&2
    "$base" -m venv .venv || { echo "error: could not create .venv (is the venv module installed?)" >&2; exit 1; }
  fi
  PY="$PWD/.venv/bin/python"
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "error: Python 3.10 or newer is needed ($("$PY" --version 2>&1))" >&2
  exit 1
fi
export PY
