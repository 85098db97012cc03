#!/usr/bin/env bash
# Set up The Grey Tutor's database, safe to run again and again:
#   Python environment -> requirements -> a PostgreSQL server (the configured one if it answers,
#   else the embedded one in PGDATA_DIR) -> schema at the newest migration -> the admin user ->
#   the legacy data found in the working directory (once the importer exists).
# Settings come from the environment or .env (see .env.example). ADMIN_PASSWORD sets the first
# admin's password; without it one is generated and printed once. It is never written to a file.
set -euo pipefail
# Legacy data is looked for where the user runs this; everything else happens in the project.
workdir=$PWD
cd "$(dirname "$0")"

# Keep the admin password out of the environment of everything started below (the server keeps running).
admin_password=${ADMIN_PASSWORD:-}
unset ADMIN_PASSWORD

fail() {
  echo "error: $*" >&2
  exit 1
}

# step "what" command...: print the step, run it, stop the script if it fails.
step() {
  local what=$1
  shift
  echo "==> $what"
  "$@" || fail "$what failed (exit status $?); see the message above"
}

# Exit 0 when the admin user exists, 1 when not, 2 (with one error line) when that cannot be told.
admin_exists() {
  "$PY" - <<'PYTHON'
import sys

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from database.connection import get_settings, make_engine
from database.errors import DatabaseError, translate

try:
    settings = get_settings()
    engine = make_engine(settings, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM users WHERE username = 'admin'")).first()
    except SQLAlchemyError as exc:
        raise translate(exc, settings.address) from exc
    finally:
        engine.dispose()
except DatabaseError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
sys.exit(0 if found else 1)
PYTHON
}

create_admin() {
  local status=0 generated=""
  admin_exists || status=$?
  case $status in
    0)
      echo "    the admin user already exists; left as it is"
      return 0
      ;;
    1) ;;
    *) return "$status" ;;
  esac
  local password=$admin_password
  if [ -z "$password" ]; then
    password=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))') || return 1
    generated=1
  fi
  # printf is a shell builtin: the password goes through a pipe, never on a command line.
  printf '%s\n' "$password" \
    | "$PY" -m database.cli create-user admin --role admin --if-not-exists --password-stdin || return $?
  if [ -n "$generated" ]; then
    echo "    admin password (shown only this once, stored nowhere; set ADMIN_PASSWORD to choose it): $password"
  else
    echo "    admin password taken from ADMIN_PASSWORD"
  fi
}

import_legacy() {
  local status=0
  "$PY" -m database.cli import --root "$workdir" || status=$?
  case $status in
    0) return 0 ;;
    3)
      echo "warning: some legacy files were rejected (listed above); they stay where they are" >&2
      return 0
      ;;
    *) return "$status" ;;
  esac
}

echo "==> preparing the Python environment"
source scripts/python_env.sh
step "installing requirements" "$PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt
step "starting database server" "$PY" -m database.cli server start
step "migrating the schema to the newest revision" "$PY" -m database.cli init
step "creating the admin user" create_admin
if [ -f database/cli/importing_cmds.py ]; then
  step "importing the legacy data found in $workdir" import_legacy
  echo "    imported files stay in place; after checking, move them into legacy/ with move_to_legacy.sh"
fi
echo "==> done: the database is ready"
