"""Real processes for the durability and fault tests: the API as `python main.py` serves it,
a PostgreSQL cluster of the test's own, and fresh databases.

Every process is started on a free port and stopped by its PID (never the machine's shared
services). The API runs with its rate limits off, so a client can write at full speed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from core.config import REPO_ROOT

READY_SECONDS = 90
PG_BIN = (
    Path("/usr/lib/postgresql")
    / (sorted(os.listdir("/usr/lib/postgresql"))[-1] if Path("/usr/lib/postgresql").is_dir() else "0")
    / "bin"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ApiServer:
    """`python main.py` in a subprocess; `kill()` is SIGKILL, `start()` starts it again."""

    database_url: str
    data_dir: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "REDIS_"))}
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "DATA_DIR": str(self.data_dir),
                "API_HOST": "127.0.0.1",
                "API_PORT": str(self.port),
                "API_WORKERS": str(self.workers),
                "MIGRATE_ON_START": "true",
                "RATE_LIMIT_ENABLED": "false",
                "REDIS_URL": "",
                "LOG_JSON": "false",
                "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(REPO_ROOT),
            }
        )
        return env

    def start(self) -> ApiServer:
        self.log = self.data_dir / f"api-{self.port}.log"
        with open(self.log, "a") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "main.py"],
                cwd=REPO_ROOT,
                env=self.environment(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers form a group we can kill at once
            )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API did not answer in {READY_SECONDS} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the server and its workers: no shutdown, no flush, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self.process = None


@contextmanager
def running_api(database_url: str, data_dir: Path, *, workers: int = 2) -> Iterator[ApiServer]:
    server = ApiServer(database_url=database_url, data_dir=data_dir, workers=workers).start()
    try:
        yield server
    finally:
        server.stop()


def load_prices(database_url: str, data_dir: Path, *tickers: str) -> None:
    """The bundled prices of `tickers`, through the CLI as an operator would."""
    env = ApiServer(database_url=database_url, data_dir=data_dir).environment()
    command = [sys.executable, "-m", "core", "prices", "load", "--no-progress"]
    for ticker in tickers:
        command += ["--ticker", ticker]
    subprocess.run(command, cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=300)


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A database of its own on the server of `admin_url`, dropped afterwards."""
    name = f"stockcast_fault_{uuid.uuid4().hex[:10]}"
    server = make_url(admin_url).set(drivername="postgresql+psycopg", database="postgres")
    engine = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb in a temp dir, its own port), run as
    the `postgres` system user; stopped and removed by the test, never the shared one."""

    port: int = field(default_factory=free_port)
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="stockcast-pg-")))

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str, timeout: int = 120) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=timeout)

    def create(self) -> PostgresCluster:
        shutil.chown(self.directory, "postgres", "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.directory / "log"),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def own_postgres() -> Iterator[PostgresCluster]:
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        import pytest

        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed here")
    cluster = PostgresCluster().create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class Client:
    """A signed-up user's client of a running API (sync httpx)."""

    def __init__(self, base_url: str, *, email: str | None = None, password: str = "correct-horse-1") -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.email = email or f"u-{uuid.uuid4().hex[:10]}@example.com"
        signed_up = self.http.post("/api/users", json={"email": self.email, "password": password})
        assert signed_up.status_code == 201, signed_up.text
        token = self.http.post("/api/auth/token", data={"username": self.email, "password": password})
        assert token.status_code == 200, token.text  # a log-in right after the sign-up's 201
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def close(self) -> None:
        self.http.close()
