"""Leases: a live run renews its lease and is never failed; a run whose worker died is failed
once its lease lapses and the next run proceeds; job runs are shown to their owners (admins:
all) without server paths. (A killed retrain resuming: tests/durability/test_jobs_survive.py.)"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from core.db.session import session_scope
from core.db.tables import JobRun, JobStatus, Role, utcnow
from core.errors import NotFoundError
from core.jobs.leases import reap_abandoned_runs
from core.jobs.locks import make_lock
from core.jobs.registry import describe_error
from core.jobs.runner import run_job
from core.jobs.service import get_job_run, list_job_runs
from tests.factories import make_user


@pytest.fixture
def short_lease(settings):
    return settings.model_copy(update={"job_heartbeat_seconds": 0.2, "job_lease_seconds": 1.0})


def read_run(settings, run_id: int) -> JobRun:
    with session_scope(settings, write=False) as session:
        run = session.get_one(JobRun, run_id)
        session.expunge(run)
        return run


def test_a_live_run_renews_its_lease_and_is_never_failed(short_lease, gated_job):
    name, job = gated_job
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run=run_job(name, settings=short_lease)))
    worker.start()
    try:
        assert job.started.wait(timeout=20)
        with session_scope(short_lease, write=False) as session:
            run_id = session.scalar(select(JobRun.id).where(JobRun.job == name))
        first_beat = read_run(short_lease, run_id).heartbeat_at
        time.sleep(2.5)  # more than two leases
        assert run_id not in reap_abandoned_runs(short_lease)
        assert read_run(short_lease, run_id).heartbeat_at > first_beat
        assert run_job(name, settings=short_lease, triggered_by="second").status == JobStatus.SKIPPED
    finally:
        job.release.set()
        worker.join(timeout=30)
    assert outcome["run"].status == JobStatus.SUCCEEDED


def test_a_dead_workers_run_is_failed_after_its_lease_and_the_next_run_proceeds(short_lease, gated_job):
    name, job = gated_job
    job.release.set()
    # A worker that died mid-run: its run says running, its lock row stays, nobody renews either.
    make_lock(name, settings=short_lease, kind="row").acquire()
    with session_scope(short_lease) as session:
        started = utcnow() - dt.timedelta(seconds=30)
        dead = JobRun(job=name, args={}, status=JobStatus.RUNNING, started_at=started, heartbeat_at=started)
        session.add(dead)
        session.flush()
        dead_id = dead.id
    time.sleep(1.2)  # the lock's lease lapses

    rerun = run_job(name, settings=short_lease, lock_kind="row")
    assert rerun.status == JobStatus.SUCCEEDED
    failed = read_run(short_lease, dead_id)
    assert failed.status == JobStatus.FAILED and failed.error.startswith("abandoned")
    assert failed.finished_at >= failed.started_at


def test_a_skipped_run_never_starts_after_it_finished(settings, gated_job):
    name, job = gated_job
    worker = threading.Thread(target=lambda: run_job(name, settings=settings))
    worker.start()
    try:
        assert job.started.wait(timeout=20)
        skipped = run_job(name, settings=settings, triggered_by="second")
    finally:
        job.release.set()
        worker.join(timeout=30)
    assert skipped.status == JobStatus.SKIPPED and skipped.started_at <= skipped.finished_at


def test_analysts_see_only_their_own_runs_and_admins_all(session):
    analyst = make_user(session, role=Role.ANALYST)
    other = make_user(session, role=Role.ANALYST)
    admin = make_user(session, role=Role.ADMIN)
    job = f"job_{uuid.uuid4().hex[:8]}"
    for user in (analyst, other):
        session.add(JobRun(job=job, args={"tickers": f"T{user.id}"}, status=JobStatus.SUCCEEDED,
                           triggered_by=f"user:{user.id}"))  # fmt: skip
    session.add(JobRun(job=job, args={}, status=JobStatus.SUCCEEDED, triggered_by="schedule"))
    session.flush()

    own, total = list_job_runs(session, actor=analyst, job=job)
    assert total == 1 and [run.triggered_by for run in own] == [f"user:{analyst.id}"]
    assert list_job_runs(session, actor=admin, job=job)[1] == 3
    runs = list_job_runs(session, actor=admin, job=job)[0]
    foreign = next(run for run in runs if run.triggered_by == f"user:{other.id}")
    with pytest.raises(NotFoundError):  # another user's run does not exist for an analyst
        get_job_run(session, actor=analyst, run_id=foreign.id)
    assert get_job_run(session, actor=admin, run_id=foreign.id).id == foreign.id


def test_a_runs_error_never_names_a_server_path():
    error = describe_error(OSError("cannot open /app/var/stockcast.db nor sqlite:////srv/mlruns/mlflow.db"))
    assert "/app" not in error and "/srv" not in error and "mlflow.db" not in error
    assert error.startswith("OSError: cannot open <server path>")
