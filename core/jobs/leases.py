"""Leases: a running job proves it is alive, and a run whose worker died is failed.

While a run works, a `Heartbeat` thread renews its lock and stamps `job_run.heartbeat_at`
every `JOB_HEARTBEAT_SECONDS`. A worker killed mid-run (kill -9, OOM, a lost machine) stops
both: its lock lapses after `JOB_LEASE_SECONDS`, and `fail_abandoned_runs` (called before
every run and by the scheduler every heartbeat) marks its run `failed`, so the next run
proceeds. With the defaults (15 s, 60 s) a dead worker's run is failed within about 75 s.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import run_unit_of_work
from core.db.tables import JobRun, JobStatus, utcnow
from core.jobs.locks import Lock

logger = logging.getLogger(__name__)

ABANDONED = "abandoned: its worker stopped renewing the lease (no heartbeat for {seconds:g} s); the next run proceeds"


def fail_abandoned_runs(session: Session, *, settings: Settings, now: dt.datetime | None = None) -> list[int]:
    """Mark `failed` every queued or running run silent for longer than the lease; their ids."""
    now = now or utcnow()
    deadline = now - dt.timedelta(seconds=settings.job_lease_seconds)
    last_sign = func.coalesce(JobRun.heartbeat_at, JobRun.started_at)
    stale = session.scalars(
        select(JobRun)
        .where(or_(JobRun.status == JobStatus.RUNNING, JobRun.status == JobStatus.QUEUED), last_sign < deadline)
        .with_for_update(skip_locked=True)
    ).all()
    for run in stale:
        run.status, run.finished_at = JobStatus.FAILED, max(now, run.started_at)
        run.error = ABANDONED.format(seconds=settings.job_lease_seconds)
        logger.warning("job run abandoned: marked failed", extra={"job": run.job, "run_id": run.id})
    return [run.id for run in stale]


def reap_abandoned_runs(settings: Settings) -> list[int]:
    """`fail_abandoned_runs` in its own short unit of work (scheduler, runner)."""
    return run_unit_of_work(settings, lambda session: fail_abandoned_runs(session, settings=settings))


def beat(session: Session, *, run_id: int) -> None:
    run = session.get(JobRun, run_id)
    if run is not None and run.status == JobStatus.RUNNING:
        run.heartbeat_at = utcnow()


class Heartbeat:
    """Renew `lock` and the run's heartbeat every `JOB_HEARTBEAT_SECONDS` until stopped.

    Used as a context manager around the job's work. A failed renewal is logged, never
    raised: the work goes on, and a lease that lapsed shows as the run being failed.
    """

    def __init__(self, settings: Settings, *, run_id: int, lock: Lock) -> None:
        self.settings, self.run_id, self.lock = settings, run_id, lock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.settings.job_heartbeat_seconds + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.job_heartbeat_seconds):
            try:
                if not self.lock.renew():
                    logger.warning("job lease had lapsed before renewal", extra={"run_id": self.run_id})
                run_unit_of_work(self.settings, lambda session: beat(session, run_id=self.run_id))
            except Exception:  # a heartbeat thread's edge: the job itself must go on
                logger.warning("job heartbeat failed", extra={"run_id": self.run_id}, exc_info=True)
