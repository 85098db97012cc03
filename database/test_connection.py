"""``python -m database.test_connection``: server version and migration revision, or one error line."""

from __future__ import annotations

import sys

from sqlalchemy.pool import NullPool

from database.connection import get_settings, make_engine, probe
from database.errors import DatabaseError


def main() -> int:
    try:
        settings = get_settings()
        engine = make_engine(settings, poolclass=NullPool)
        try:
            info = probe(engine, settings.address)
        finally:
            engine.dispose()
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"connected: {settings.safe_url}")
    print(f"server version: PostgreSQL {info.version}")
    print(f"migration revision: {info.revision or 'none (run: python -m database.cli init)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
