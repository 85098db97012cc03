#!/usr/bin/env bash
# Move the imported legacy files of the CURRENT directory into ./legacy/ (docs/MOVE_TO_LEGACY.md).
# Run it from the app directory that holds conversation_history/, student_models/, ...
# Arguments go to `python -m database.cli move-to-legacy`, e.g. ./move_to_legacy.sh --dry-run
# Exit status: 0 done as planned, 1 a move failed or the database cannot be used, 2 usage error.
set -euo pipefail

# The project (package and virtualenv) is where this script really lives, even through a symlink;
# the working directory is left alone because it is the tree being moved.
script="${BASH_SOURCE[0]}"
while [ -L "$script" ]; do
  dir="$(cd -P "$(dirname "$script")" && pwd)"
  script="$(readlink "$script")"
  case "$script" in /*) ;; *) script="$dir/$script" ;; esac
done
project="$(cd -P "$(dirname "$script")" && pwd)"

# python_env.sh resolves the virtualenv relative to its working directory: run it in the project.
PY="$(cd "$project" && source scripts/python_env.sh >/dev/null && printf '%s' "$PY")" || exit 1
export PYTHONPATH="$project${PYTHONPATH:+:$PYTHONPATH}"

if [ ! -f .env ] && [ -f "$project/.env" ]; then
  # Settings are read from ./.env; without one here, use the project's (the environment still wins).
  exec "$PY" -c 'import os, sys
from dotenv import dotenv_values
for key, value in dotenv_values(sys.argv[1]).items():
    if value is not None:
        os.environ.setdefault(key, value)
from database.cli import main
sys.exit(main(sys.argv[2:]))' "$project/.env" move-to-legacy "$@"
fi
exec "$PY" -m database.cli move-to-legacy "$@"
