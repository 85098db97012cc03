"""Settings: read and validated in one place.

Precedence, highest first: the process environment, a ``.env`` file in the working
directory, the defaults below. ``DATABASE_URL`` (when set) wins over the ``DB_*`` parts.
Nothing here connects to anything; reading settings is cheap and side-effect free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from dotenv import dotenv_values
from sqlalchemy import URL
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from database.errors import ConfigurationError

DEFAULTS: dict[str, str] = {
    "DB_USER": "thegreytutor",
    "DB_PASSWORD": "thegreytutor",
    "DB_HOST": "localhost",
    "DB_PORT": "5432",
    "DB_NAME": "thegreytutor",
    "BCRYPT_ROUNDS": "12",
    "DB_POOL_SIZE": "5",
    "DB_MAX_OVERFLOW": "10",
    "PGDATA_DIR": ".pgdata",
}

#: Every variable the project reads (documented in .env.example).
KNOWN_VARIABLES = ("DATABASE_URL", *DEFAULTS, "DATABASE_READ_URL")


@dataclass(frozen=True)
class Settings:
    user: str
    password: str = field(repr=False)
    host: str
    port: int
    name: str
    database_url: str | None = field(default=None, repr=False)
    read_url: str | None = field(default=None, repr=False)
    bcrypt_rounds: int = 12
    pool_size: int = 5
    max_overflow: int = 10
    pgdata_dir: Path = Path(".pgdata")

    @property
    def url(self) -> URL:
        """The SQLAlchemy URL (psycopg2 driver). Never print it unmasked: use ``safe_url``."""
        if self.database_url:
            return _parse_url(self.database_url, "DATABASE_URL")
        return URL.create(
            "postgresql+psycopg2",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.name,
        )

    @property
    def safe_url(self) -> str:
        """The URL with the password masked, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @property
    def address(self) -> str:
        """``host:port/database`` of the configured server, for one-line errors."""
        url = self.url
        return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _parse_url(raw: str, variable: str) -> URL:
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        # ``from None``: the parser's message quotes the raw URL, password included.
        raise ConfigurationError(f"{variable} is not a valid database URL") from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise ConfigurationError(f"{variable} must be a postgresql:// URL (PostgreSQL is the only database)")
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg2")
    elif url.get_backend_name() == "postgres":  # the old dialect name with a driver
        url = url.set(drivername=f"postgresql+{url.get_driver_name()}")
    return url


def _int(values: Mapping[str, str], key: str, minimum: int, maximum: int) -> int:
    raw = values[key]
    try:
        number = int(raw)
    except ValueError:
        raise ConfigurationError(f"{key} must be a whole number, got {raw!r}") from None
    if not minimum <= number <= maximum:
        raise ConfigurationError(f"{key} must be between {minimum} and {maximum}, got {number}")
    return number


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """Read settings from defaults, then ``env_file`` (if it exists), then ``environ``."""
    values: dict[str, str] = dict(DEFAULTS)
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    source = os.environ if environ is None else environ
    values.update({k: v for k, v in source.items() if k in KNOWN_VARIABLES})
    settings = Settings(
        user=values["DB_USER"],
        password=values["DB_PASSWORD"],
        host=values["DB_HOST"],
        port=_int(values, "DB_PORT", 1, 65535),
        name=values["DB_NAME"],
        database_url=values.get("DATABASE_URL") or None,
        read_url=values.get("DATABASE_READ_URL") or None,
        bcrypt_rounds=_int(values, "BCRYPT_ROUNDS", 4, 31),
        pool_size=_int(values, "DB_POOL_SIZE", 1, 1000),
        max_overflow=_int(values, "DB_MAX_OVERFLOW", 0, 1000),
        pgdata_dir=Path(values["PGDATA_DIR"]),
    )
    settings.url  # validate DATABASE_URL now, not at first connect
    return settings
