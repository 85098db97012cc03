#!/usr/bin/env bash
# The admin interface: ./run_admin.sh COMMAND [options]  (= python -m database.admin COMMAND).
# ./run_admin.sh --help lists the commands; ./run_admin.sh COMMAND --help explains one.
# Runs from the project directory (its .env and .venv), wherever it is called from.
set -euo pipefail
export GREYTUTOR_ADMIN_PROG="$0"
cd "$(dirname "$0")"
source scripts/python_env.sh
exec "$PY" -m database.admin "$@"
