"""Scale-out end to end: a real Celery worker (a subprocess on the local Redis) runs a retrain
fan-out for three tickers, one of which fails; the other two are trained and every ticker's
run is recorded.

The worker is another process, so it gets its own committed SQLite database and MLflow store
(through environment variables), a Redis database number of its own and a unique queue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from core.config import REPO_ROOT, Settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from core.db.tables import JobRun, JobStatus
from core.errors import InsufficientHistoryError, ServiceUnavailableError
from core.jobs.celery_app import app_for, fan_out_retrain
from tests.jobs.conftest import insert_prices

WORKER_START_SECONDS = 60
FAN_OUT_SECONDS = 180


def start_worker(env: dict[str, str], queue: str, hostname: str, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "core.jobs.celery_app",
        "worker",
        "--queues",
        queue,
        "--hostname",
        hostname,
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    with open(log, "w") as handle:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_until_ready(app, hostname: str, worker: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}):\n{log.read_text()[-3000:]}")
        replies = app.control.ping(destination=[hostname], timeout=1.0)
        if any(hostname in reply for reply in replies):
            return
    pytest.fail(f"the worker did not answer within {WORKER_START_SECONDS}s:\n{log.read_text()[-3000:]}")


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=5)


@pytest.fixture
def worker_settings(tmp_path, redis_url) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade_to_head(database_url)
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        redis_url=redis_url,
        celery_queue=f"test-{uuid.uuid4().hex[:10]}",
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=tmp_path / "artifacts",
        migrate_on_start=False,
        offline=True,
    )


def worker_env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "REDIS_URL": settings.redis_url,
        "CELERY_QUEUE": settings.celery_queue,
        "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "MLFLOW_ARTIFACT_ROOT": str(settings.mlflow_artifact_root),
        "MIGRATE_ON_START": "false",
        "OFFLINE": "true",
        "LOG_JSON": "false",
        "OMP_NUM_THREADS": "1",
    }


def test_retrain_fans_out_over_a_real_worker_and_survives_a_failed_ticker(worker_settings, tmp_path):
    good = ["AAA", "BBB"]
    short = "SHORT"  # three prices: too short to backtest
    for seed, ticker in enumerate(good):
        insert_prices(worker_settings.database_url, ticker, 260, seed=seed)
    insert_prices(worker_settings.database_url, short, 3, seed=9)

    app = app_for(worker_settings)
    hostname = f"jobs-test-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / "worker.log"
    worker = start_worker(worker_env(worker_settings), worker_settings.celery_queue, hostname, log)
    try:
        wait_until_ready(app, hostname, worker, log)
        group = fan_out_retrain(
            settings=worker_settings, tickers=[*good, short], models="naive,drift", triggered_by="celery-test"
        )
        outcomes = group.join(timeout=FAN_OUT_SECONDS, propagate=False)
    finally:
        stop_worker(worker)
        app.control.purge()

    by_ticker = dict(zip([*good, short], outcomes, strict=True))
    for ticker in good:
        assert isinstance(by_ticker[ticker], dict), f"{ticker}: {by_ticker[ticker]!r}\n{log.read_text()[-3000:]}"
        assert by_ticker[ticker]["status"] == "succeeded"
        assert by_ticker[ticker]["result"]["tickers"][ticker]["status"] == "trained"
    assert isinstance(by_ticker[short], InsufficientHistoryError), repr(by_ticker[short])

    with session_scope(worker_settings) as session:
        runs = session.scalars(select(JobRun).where(JobRun.triggered_by == "celery-test")).all()
    recorded = {run.args["tickers"][0]: run.status for run in runs}
    assert recorded == {"AAA": JobStatus.SUCCEEDED, "BBB": JobStatus.SUCCEEDED, "SHORT": JobStatus.FAILED}


def test_tasks_retry_transient_errors_with_backoff(worker_settings):
    task = app_for(worker_settings).tasks["stockcast.retrain_ticker"]
    assert ServiceUnavailableError in task.autoretry_for
    assert ConnectionError in task.autoretry_for
    assert InsufficientHistoryError not in task.autoretry_for  # bad data is not retried
    assert task.retry_backoff is True and task.max_retries >= 3


def test_an_unreachable_broker_is_a_service_error(worker_settings):
    from core.jobs.dispatch import dispatch_job

    down = worker_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # nothing listens on port 1
    with pytest.raises(ServiceUnavailableError, match="broker"):
        dispatch_job("evaluate_realised", settings=down)
