"""A private embedded PostgreSQL for tests that kill, stop or restart the server's processes.

Such tests cannot use the suite's database: TEST_DATABASE_URL may point at a shared server or
at PgBouncer (CI's third pass), where terminating a backend means something else. A private
server runs on a free loopback port from a temp dir, migrated to head, and is removed after.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.pool import NullPool

from database.config import Settings, load_settings
from database.connection import make_engine
from database.schema import upgrade
from database.server import EmbeddedServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def private_server(name: str, password: str) -> Iterator[tuple[EmbeddedServer, Settings]]:
    """Start a migrated private server with database ``name``; stop and remove it afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"greytutor-{name}-"))
    settings = load_settings(
        {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(free_port()),
            "DB_PASSWORD": password,
            "DB_NAME": name,
            "BCRYPT_ROUNDS": "4",
        },
        env_file=None,
    )
    server = EmbeddedServer(settings, data_dir / "pgdata")
    server.start()
    try:
        engine = make_engine(settings, poolclass=NullPool)
        upgrade(engine)
        engine.dispose()
        yield server, settings
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
