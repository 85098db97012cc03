"""``server start|stop|status``: the zero-setup embedded PostgreSQL."""

from __future__ import annotations

import argparse

from sqlalchemy.pool import NullPool

from database.cli.runner import add_command
from database.config import Settings
from database.connection import get_settings, make_engine, probe
from database.server import EmbeddedServer, port_answers


def embedded(settings: Settings) -> EmbeddedServer:
    return EmbeddedServer(settings, settings.pgdata_dir)


def ensure_server(settings: Settings) -> str:
    """Use the configured server if one answers, else start the embedded one. Says which."""
    server = embedded(settings)
    host, port = server.host, server.port
    if server.is_running():
        return f"embedded PostgreSQL already running at {host}:{port} (data in {server.data_dir})"
    if port_answers(host, port):
        return f"a PostgreSQL server already answers at {host}:{port}; using it"
    server.start()
    return f"started embedded PostgreSQL at {host}:{port} (data in {server.data_dir})"


def cmd_start(args: argparse.Namespace) -> int:
    """Start the embedded PostgreSQL, unless a server already answers at DB_HOST:DB_PORT.

    The embedded server keeps its data in PGDATA_DIR (default .pgdata/), listens on
    DB_HOST:DB_PORT with DB_USER/DB_PASSWORD, creates DB_NAME, and keeps running after
    this command returns. Then it checks that the configured login works.
    """
    settings = get_settings()
    print(ensure_server(settings))
    info = _probe(settings)
    print(f"ok: PostgreSQL {info.version}, database {info.database} as {info.user}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop the embedded PostgreSQL (its data stays in PGDATA_DIR)."""
    server = embedded(get_settings())
    if server.stop():
        print(f"stopped embedded PostgreSQL (data kept in {server.data_dir})")
    else:
        print(f"embedded PostgreSQL is not running (data dir {server.data_dir})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Say what answers at the configured address, its version and the migration revision.

    Exit 0 when the configured database is usable, 1 otherwise.
    """
    from database.schema import head_revision

    settings = get_settings()
    server = embedded(settings)
    print(f"configured: {settings.safe_url}")
    running = server.is_running()
    print(f"embedded server ({server.data_dir}): {'running' if running else 'not running'}")
    if not port_answers(server.host, server.port):
        print(f"nothing answers at {server.host}:{server.port}")
        print("hint: python -m database.cli server start")
        return 1
    info = _probe(settings)
    head = head_revision()
    revision = info.revision or "none (run: python -m database.cli init)"
    state = "up to date" if info.revision == head else f"head is {head}"
    print(f"server: PostgreSQL {info.version} ({'embedded' if running else 'external'})")
    print(f"database: {info.database} as {info.user}")
    print(f"migration revision: {revision} ({state})")
    return 0


def _probe(settings: Settings):  # noqa: ANN202
    engine = make_engine(settings, poolclass=NullPool)
    try:
        return probe(engine, settings.address)
    finally:
        engine.dispose()


def register(subparsers: argparse._SubParsersAction) -> None:
    server = subparsers.add_parser("server", help="start, stop or inspect the embedded PostgreSQL")
    actions = server.add_subparsers(dest="action", metavar="ACTION", title="actions", required=True)
    add_command(actions, "start", cmd_start, "python -m database.cli server start")
    add_command(actions, "stop", cmd_stop, "python -m database.cli server stop")
    add_command(actions, "status", cmd_status, "python -m database.cli server status")


__all__ = ["ensure_server", "register"]
