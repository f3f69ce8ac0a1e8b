"""Running a job: lease, record, work, record.

`run_job` is the one way a job runs, whoever triggers it (CLI, scheduler, API, Celery task):

1. fail runs whose worker died (`core.jobs.leases`: no heartbeat for a lease);
2. take the job's lock, a lease (`core.jobs.locks`); if another live run holds it, record a
   `skipped` run and return at once;
3. record the run as `running` (committed, so the Admin page sees it while it works), and
   renew the lease and the run's heartbeat while it works (`Heartbeat`);
4. run the job: a long job (`JobSpec.chunked`) gets a `JobWork` (short units of work per
   ticker, progress committed as it goes); a short one gets one unit of work
   (`session_scope`), committed on success and rolled back on error;
5. record `succeeded` with the job's result, or `failed` with the error (a job whose result
   lists per-item `errors` is `failed` too, with its other work kept); release the lock.

Starting a job the configured way (Celery or a thread) is `core.jobs.dispatch`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import run_unit_of_work, session_scope
from core.db.tables import JobRun, JobStatus, utcnow
from core.errors import CoreError
from core.jobs.leases import Heartbeat, reap_abandoned_runs
from core.jobs.locks import LockKind, make_lock
from core.jobs.registry import JobSpec, describe_error, get_job
from core.jobs.schemas import JobRunRead
from core.jobs.summaries import summarize_result
from core.jobs.work import JobWork
from core.prometheus_metrics import record_job_run

logger = logging.getLogger(__name__)


def run_job(
    name: str,
    *,
    settings: Settings,
    args: dict[str, Any] | None = None,
    triggered_by: str = "manual",
    lock_kind: LockKind | None = None,
    raise_errors: bool = False,
    run_id: int | None = None,
) -> JobRunRead:
    """Run job `name` now in this process and return its recorded run.

    A failure is recorded and returned (status `failed`); with `raise_errors` it is re-raised
    after being recorded, so a Celery task can retry it. `run_id` names a run already
    recorded as `queued` (by `core.jobs.dispatch`), which this run then carries on.
    """
    spec = get_job(name)
    args = spec.check_args(args or {})
    reap_abandoned_runs(settings)
    lock = make_lock(spec.lock_name(args), settings=settings, kind=lock_kind)
    if not lock.acquire():
        logger.info("job skipped: already running", extra={"job": name, "lock": lock.name})
        return _record_skipped(settings, name, args, triggered_by, run_id)
    try:
        run_id = _record_start(settings, name, args, triggered_by, run_id)
        try:
            logger.info("job started", extra={"job": name, "run_id": run_id, "job_args": args})
            with Heartbeat(settings, run_id=run_id, lock=lock):
                result = jsonable(_work(spec, settings, args, run_id))
            if summary := summarize_result(name, result):
                result["summary"] = summary
            if spec.after_commit is not None:
                spec.after_commit(settings, result)
        except Exception as exc:
            # Expected failures (bad data, a dependency down) need no traceback in the log.
            log = logger.warning if isinstance(exc, CoreError) else logger.exception
            log("job failed", extra={"job": name, "run_id": run_id, "error": describe_error(exc)})
            run = _record_finish(settings, run_id, JobStatus.FAILED, error=describe_error(exc))
            if raise_errors:
                raise
            return run
        errors = result.get("errors") if isinstance(result, dict) else None
        status = JobStatus.FAILED if errors else JobStatus.SUCCEEDED
        error = f"{len(errors)} item(s) failed: {', '.join(sorted(errors))}" if errors else None
        logger.info("job finished", extra={"job": name, "run_id": run_id, "status": str(status)})
        return _record_finish(settings, run_id, status, result=result, error=error)
    finally:
        lock.release()


def _work(spec: JobSpec, settings: Settings, args: dict[str, Any], run_id: int) -> dict[str, Any]:
    if spec.chunked:
        return spec.func(JobWork(settings, run_id=run_id), settings=settings, **args)
    with session_scope(settings) as session:
        return spec.func(session, settings=settings, **args)


# Each record is its own short unit of work, run again if the database is busy for a moment.


def record_queued(settings: Settings, name: str, args: dict, triggered_by: str) -> JobRunRead:
    def record(session: Session) -> JobRunRead:
        run = JobRun(job=name, args=jsonable(args), status=JobStatus.QUEUED, triggered_by=triggered_by)
        run.started_at = run.heartbeat_at = utcnow()
        session.add(run)
        session.flush()
        return JobRunRead.model_validate(run)

    return run_unit_of_work(settings, record)


def _record_start(settings: Settings, name: str, args: dict, triggered_by: str, run_id: int | None) -> int:
    def record(session: Session) -> int:
        if run_id is not None:  # queued earlier: it starts now
            run = session.get_one(JobRun, run_id)
            run.status = JobStatus.RUNNING
        else:
            run = JobRun(job=name, args=jsonable(args), status=JobStatus.RUNNING, triggered_by=triggered_by)
            session.add(run)
        run.started_at = run.heartbeat_at = utcnow()
        session.flush()
        return run.id

    return run_unit_of_work(settings, record)


def _record_skipped(settings: Settings, name: str, args: dict, triggered_by: str, run_id: int | None) -> JobRunRead:
    def record(session: Session) -> JobRunRead:
        now = utcnow()
        # Stamped here, not by the column default at flush: a skipped run never starts after it ends.
        if run_id is not None:
            run = session.get_one(JobRun, run_id)
        else:
            run = JobRun(job=name, args=jsonable(args), started_at=now)
            session.add(run)
        run.status, run.triggered_by, run.finished_at = JobStatus.SKIPPED, triggered_by, max(now, run.started_at)
        run.error = "skipped: another run of this job holds its lock"
        session.flush()
        return JobRunRead.model_validate(run)

    run = run_unit_of_work(settings, record)
    record_job_run(name, status=str(JobStatus.SKIPPED))
    return run


def _record_finish(
    settings: Settings, run_id: int, status: JobStatus, *, result: dict | None = None, error: str | None = None
) -> JobRunRead:
    def record(session: Session) -> JobRunRead:
        run = session.get_one(JobRun, run_id)
        if run.status != JobStatus.RUNNING:  # its lease lapsed meanwhile (a stalled, not dead, worker)
            logger.warning("job run finished after being marked abandoned", extra={"job": run.job, "run_id": run_id})
        run.status, run.finished_at, run.error = status, max(utcnow(), run.started_at), error
        if result is not None:  # a failed run keeps the progress it recorded
            run.result = result
        session.flush()
        return JobRunRead.model_validate(run)

    run = run_unit_of_work(settings, record)
    record_job_run(run.job, status=str(status), seconds=run.duration_seconds)
    return run


def jsonable(value: Any) -> Any:
    """A JSON-safe copy: numpy scalars to Python, NaN/inf to None (PostgreSQL's JSON refuses NaN)."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
