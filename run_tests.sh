#!/usr/bin/env bash
# Run the test suite. Installs what the tests need (into the active virtualenv, or .venv).
# Tests use TEST_DATABASE_URL if set; otherwise they start a throwaway embedded PostgreSQL in a
# temporary directory and remove it afterwards: they never touch your database.
# Extra arguments go to pytest, e.g. ./run_tests.sh -k cache -x
set -euo pipefail
cd "$(dirname "$0")"
source scripts/python_env.sh
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
set +e
"$PY" -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected nothing: for us that is a failure, not a pass.
if [ "$status" -eq 5 ]; then
  echo "run_tests.sh: no tests were collected" >&2
  exit 1
fi
exit "$status"
