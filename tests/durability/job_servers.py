"""Real processes for the jobs fault tests: a Redis of the test's own and Celery workers
started with the README's command, from a directory outside the checkout (so they find
`core` and `models` only through the installed project). Stopped by PID, never by name."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from core.config import Settings
from tests.durability.servers import free_port

WORKER_READY_SECONDS = 90
# Short leases, so a test waits seconds, not the production minute.
HEARTBEAT_SECONDS = 1
LEASE_SECONDS = 4


@dataclass
class RedisServer:
    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping():
                    return self
            except redis.exceptions.RedisError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not answer in 20 s")

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections, but nothing is ever answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def own_redis(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.stop()


def job_environment(settings: Settings) -> dict[str, str]:
    """The environment of a worker (or CLI) for `settings`; no PYTHONPATH: the installed project."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "DATA_DIR": str(settings.data_dir),
            "REDIS_URL": settings.redis_url,
            "CELERY_QUEUE": settings.celery_queue,
            "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
            "MLFLOW_ARTIFACT_ROOT": str(settings.mlflow_artifact_root),
            "JOB_HEARTBEAT_SECONDS": str(settings.job_heartbeat_seconds),
            "JOB_LEASE_SECONDS": str(settings.job_lease_seconds),
            "RETRAIN_MODELS": settings.retrain_models,
            "BACKTEST_WORKERS": "1",
            "MIGRATE_ON_START": "false",
            "LOG_JSON": "false",
            "LOG_LEVEL": "INFO",
        }
    )
    return env


def job_settings(directory: Path, *, redis_url: str = "", database_url: str = "") -> Settings:
    return Settings(
        database_url=database_url or f"sqlite:///{directory / 'stockcast.db'}",
        data_dir=directory,
        redis_url=redis_url,
        celery_queue=f"q-{uuid.uuid4().hex[:8]}",
        mlflow_tracking_uri=f"sqlite:///{directory / 'mlflow.db'}",
        mlflow_artifact_root=directory / "artifacts",
        job_heartbeat_seconds=HEARTBEAT_SECONDS,
        job_lease_seconds=LEASE_SECONDS,
        retrain_models="naive",
        backtest_workers=1,
    )


@dataclass
class CeleryWorker:
    """`celery -A core.jobs.celery_app worker …` as README and compose start it, in `cwd`."""

    settings: Settings
    cwd: Path
    process: subprocess.Popen | None = None
    log: Path | None = None

    def start(self) -> CeleryWorker:
        celery = Path(sys.executable).parent / "celery"
        command = [str(celery), "-A", "core.jobs.celery_app", "worker", "--loglevel", "INFO", "--concurrency", "1",
                   "--queues", self.settings.celery_queue, "--hostname", f"test-{uuid.uuid4().hex[:6]}@%h"]  # fmt: skip
        self.log = self.cwd / f"worker-{uuid.uuid4().hex[:6]}.log"
        with open(self.log, "w") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=job_environment(self.settings),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the main process and its pool child: one group to kill
            )
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.process.returncode}):\n{self.output()}")
            if " ready." in self.log.read_text():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready in {WORKER_READY_SECONDS} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text()[-4000:] if self.log and self.log.exists() else ""

    def kill(self) -> None:
        """kill -9 the worker and its pool processes: no shutdown, no task handed back."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
