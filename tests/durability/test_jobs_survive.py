"""Jobs survive what production throws at them, with real processes: a Redis of the test's
own, Celery workers started with the README's command from another directory, kill -9.

- a worker killed mid-train: its run is failed within the lease, and a re-run succeeds;
- a retrain killed after some tickers: the next run resumes (the done ones are up to date);
- a frozen Redis (SIGSTOP): dispatching a job from the API answers 503 within 5 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from core.db.tables import JobRun, JobStatus
from core.jobs.dispatch import dispatch_job
from core.jobs.leases import reap_abandoned_runs
from tests.durability.job_servers import LEASE_SECONDS, CeleryWorker, job_environment, job_settings, own_redis
from tests.durability.servers import ApiServer, Client
from tests.jobs.conftest import insert_prices

pytestmark = pytest.mark.slow

DISPATCH_LIMIT_SECONDS = 5


def retrain_runs(settings) -> list[JobRun]:
    with session_scope(settings, write=False) as session:
        runs = session.scalars(select(JobRun).where(JobRun.job == "retrain").order_by(JobRun.id)).all()
        session.expunge_all()
        return list(runs)


def wait_for(predicate, *, seconds: float, what: str, worker: CeleryWorker | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not seen in {seconds} s\n{worker.output() if worker else ''}")


def test_a_worker_killed_mid_train_has_its_run_failed_within_the_lease_and_a_rerun_succeeds(tmp_path: Path):
    workdir = tmp_path / "elsewhere"  # not the checkout: the worker finds models through the install
    workdir.mkdir()
    with own_redis(tmp_path) as redis_server:
        settings = job_settings(tmp_path, redis_url=redis_server.url)
        upgrade_to_head(settings.database_url)
        insert_prices(settings.database_url, "TINY", 260)
        worker = CeleryWorker(settings, workdir).start()
        try:
            dispatch_job("retrain", settings=settings, triggered_by="kill-test")
            running = wait_for(
                lambda: [r for r in retrain_runs(settings) if r.status == JobStatus.RUNNING],
                seconds=60, what="a running retrain", worker=worker,
            )  # fmt: skip
            worker.kill()
            killed_at = time.monotonic()
        finally:
            worker.stop()
        run_id = running[0].id

        # What the scheduler does every heartbeat (and every run before it starts).
        def failed() -> JobRun | None:
            reap_abandoned_runs(settings)
            run = next(r for r in retrain_runs(settings) if r.id == run_id)
            return run if run.status == JobStatus.FAILED else None

        dead = wait_for(failed, seconds=LEASE_SECONDS + 30, what="the killed run marked failed")
        seconds_to_failed = time.monotonic() - killed_at
        print(f"\nkill -9 to failed: {seconds_to_failed:.1f} s (lease {LEASE_SECONDS} s)")
        assert seconds_to_failed <= LEASE_SECONDS + 2
        assert "abandoned" in dead.error and dead.finished_at >= dead.started_at

        worker = CeleryWorker(settings, workdir).start()
        try:
            started = time.monotonic()
            dispatch_job("retrain", settings=settings, triggered_by="rerun")
            rerun = wait_for(
                lambda: [r for r in retrain_runs(settings) if r.triggered_by == "rerun" and r.finished_at],
                seconds=120, what="the re-run finished", worker=worker,
            )[0]  # fmt: skip
            print(f"re-run finished in {time.monotonic() - started:.1f} s")
        finally:
            worker.stop()
        assert rerun.status == JobStatus.SUCCEEDED, (rerun.error, worker.output())
        assert rerun.result["tickers"]["TINY"]["status"] == "trained"


def test_a_retrain_killed_after_some_tickers_resumes_where_it_stopped(tmp_path: Path):
    settings = job_settings(tmp_path)
    upgrade_to_head(settings.database_url)
    tickers = ["RA", "RB", "RC", "RD", "RE"]
    for seed, ticker in enumerate(tickers):
        insert_prices(settings.database_url, ticker, 260, seed=seed)
    command = [sys.executable, "-m", "core", "jobs", "run", "retrain", "--arg", f"tickers={','.join(tickers)}"]
    env = job_environment(settings)
    job = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           start_new_session=True)  # fmt: skip

    def first_done() -> list[JobRun]:
        return [r for r in retrain_runs(settings) if len((r.result or {}).get("tickers") or {}) >= 1]

    try:
        wait_for(first_done, seconds=120, what="a first ticker recorded")
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait(timeout=30)
    killed = retrain_runs(settings)[0]
    done = set(killed.result["tickers"])
    assert killed.status == JobStatus.RUNNING and done and done != set(tickers), "killed too late to show a resume"

    time.sleep(LEASE_SECONDS + 0.5)
    resumed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    first, second = retrain_runs(settings)
    assert first.status == JobStatus.FAILED and first.error.startswith("abandoned")
    statuses = {ticker: entry["status"] for ticker, entry in second.result["tickers"].items()}
    print(f"\nkilled after {sorted(done)}; the re-run: {statuses}")
    assert statuses == {ticker: "up_to_date" if ticker in done else "trained" for ticker in tickers}


class RedisApiServer(ApiServer):
    redis_url: str = ""

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "REDIS_URL": self.redis_url}


def test_job_dispatch_answers_503_within_5_seconds_while_redis_is_frozen(tmp_path: Path):
    with own_redis(tmp_path) as redis_server:
        settings = job_settings(tmp_path, redis_url=redis_server.url)
        server = RedisApiServer(database_url=settings.database_url, data_dir=tmp_path, workers=1)
        server.redis_url = redis_server.url
        server.start()
        try:
            admin = Client(server.url)  # the first user of a fresh database is its admin
            queued = admin.http.post("/api/jobs/evaluate_realised/run")
            assert queued.status_code == 202, queued.text  # Redis answering: queued on Celery
            assert queued.json()["mode"] == "celery"
            redis_server.freeze()
            try:
                started = time.monotonic()
                try:
                    refused = admin.http.post("/api/jobs/evaluate_realised/run", timeout=30)
                except httpx.TimeoutException:
                    pytest.fail("the dispatch hung for 30 s on a frozen Redis")
                seconds = time.monotonic() - started
            finally:
                redis_server.thaw()
        finally:
            server.stop()
    print(f"\ndispatch with Redis frozen: HTTP {refused.status_code} in {seconds:.2f} s")
    assert refused.status_code == 503, refused.text
    assert "broker" in refused.json()["detail"]
    assert seconds < DISPATCH_LIMIT_SECONDS
