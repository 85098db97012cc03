#!/usr/bin/env bash
# Run a command with a throwaway PgBouncer (transaction pooling) in front of a test database.
#
#   TEST_DATABASE_URL=postgresql://user:pw@127.0.0.1:5432/db scripts/pgbouncer_test.sh ./run_tests.sh -q
#
# Reads the upstream database from TEST_DATABASE_URL (never from argv: it holds a password),
# starts PgBouncer on a free loopback port, then runs the command with TEST_DATABASE_URL pointing
# at PgBouncer and GREYTUTOR_BEHIND_PGBOUNCER=1 (tests that need a session feature skip on it).
# PgBouncer is stopped and its files removed when the command ends; the command's exit status is
# returned. Installs Debian's `pgbouncer` package first when it is missing and we are root (CI).
#
# Authentication choice: clients log in to PgBouncer with SCRAM-SHA-256, so the test suite uses
# a real password as in production. PgBouncer itself needs the password to log in to the server,
# so its auth_file holds it in plain text; that is acceptable ONLY for this throwaway instance:
# loopback-only listener, no Unix socket, files in a mode-0700 temp dir removed at exit. A real
# deployment uses auth_query or SCRAM secrets copied from pg_authid (see docs/SCALING.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -eq 0 ]; then
  echo "usage: TEST_DATABASE_URL=... $0 COMMAND [ARG ...]" >&2
  exit 2
fi
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "error: set TEST_DATABASE_URL to the database PgBouncer should sit in front of" >&2
  exit 2
fi

find_pgbouncer() {
  command -v pgbouncer 2>/dev/null || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true
}

bouncer=$(find_pgbouncer)
if [ -z "$bouncer" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing pgbouncer (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q pgbouncer >/dev/null 2>&1 || {
      apt-get update -q >/dev/null
      apt-get install -y -q pgbouncer >/dev/null
    }
    bouncer=$(find_pgbouncer)
  fi
  if [ -z "$bouncer" ]; then
    echo "error: pgbouncer not found; install it (Debian/Ubuntu: apt-get install pgbouncer)" >&2
    exit 1
  fi
fi

workdir=$(mktemp -d -t greytutor-pgbouncer-XXXXXX)
chmod 700 "$workdir"
pidfile="$workdir/pgbouncer.pid"
cleanup() {
  if [ -s "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 50); do [ -e "$pidfile" ] || break; sleep 0.1; done
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

# PgBouncer refuses to run as root: as root it runs as `postgres` (or `pgserver`, the embedded
# server's user), which must own its files.
run_as=""
if [ "$(id -u)" -eq 0 ]; then
  for candidate in postgres pgserver; do
    if id "$candidate" >/dev/null 2>&1; then run_as=$candidate; break; fi
  done
  if [ -z "$run_as" ]; then
    useradd --system --no-create-home pgserver
    run_as=pgserver
  fi
fi

source scripts/python_env.sh
# Writes pgbouncer.ini + userlist.txt and prints the client URL (with the password: it goes into
# the environment only, never to the terminal).
client_url=$(WORKDIR="$workdir" "$PY" - <<'PY'
import os, socket
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

url = urlsplit(os.environ["TEST_DATABASE_URL"])
user, password = unquote(url.username or ""), unquote(url.password or "")
host, port, dbname = url.hostname or "127.0.0.1", url.port or 5432, unquote(url.path.lstrip("/"))
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    listen_port = sock.getsockname()[1]
work = Path(os.environ["WORKDIR"])
def q(value: str) -> str:  # userlist.txt quoting: "..." with embedded quotes doubled
    return '"' + value.replace('"', '""') + '"'
userlist = work / "userlist.txt"
userlist.touch(mode=0o600)
userlist.write_text(f"{q(user)} {q(password)}\n")
# `*`: any database name is forwarded, so tests that create a scratch database can reach it.
# timezone=UTC: PgBouncer 1.18 cannot pass the client's `options=-c timezone=UTC` startup
# parameter through (it is ignored below), so the server connections ask for UTC themselves.
(work / "pgbouncer.ini").write_text(f"""\
[databases]
* = host={host} port={port} timezone=UTC

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {userlist}
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
max_db_connections = 40
ignore_startup_parameters = options,extra_float_digits
server_reset_query =
log_connections = 0
log_disconnections = 0
logfile = {work / 'pgbouncer.log'}
pidfile = {work / 'pgbouncer.pid'}
""")
print(f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{listen_port}/{quote(dbname, safe='')}")
PY
)

if [ -n "$run_as" ]; then
  chown -R "$run_as" "$workdir"
  # PgBouncer drops root itself (-u) after reading its config.
  "$bouncer" -d -u "$run_as" "$workdir/pgbouncer.ini"
else
  "$bouncer" -d "$workdir/pgbouncer.ini"
fi

listen_port=$(sed -n 's/^listen_port = //p' "$workdir/pgbouncer.ini")
for _ in $(seq 100); do
  if "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $listen_port), 0.2).close()" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
echo "pgbouncer $("$bouncer" --version | head -1 | awk '{print $2}') (transaction pooling) on 127.0.0.1:$listen_port" >&2

set +e
TEST_DATABASE_URL="$client_url" GREYTUTOR_BEHIND_PGBOUNCER=1 "$@"
status=$?
set -e
if [ "$status" -ne 0 ] && [ -f "$workdir/pgbouncer.log" ]; then
  echo "--- last lines of the pgbouncer log" >&2
  tail -n 20 "$workdir/pgbouncer.log" >&2
fi
exit "$status"
