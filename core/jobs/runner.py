"""Running a job: lock, record, work, record — and dispatching it to Celery or a thread.

`run_job` is the one way a job runs, whoever triggers it (CLI, scheduler, API, Celery task):

1. take the job's lock (`core.jobs.locks`); if another run holds it, record a `skipped` run
   and return at once;
2. record the run as `running` (committed, so the Admin page sees it while it works);
3. run the job in its own unit of work (`session_scope`): committed on success, rolled back
   on error;
4. record `succeeded` with the job's result, or `failed` with the error (a job whose result
   lists per-item `errors` is `failed` too, with its other work kept); release the lock.

`dispatch_job` starts a job the configured way: enqueued on Celery when `REDIS_URL` is set,
else run here (inline, or in a thread for callers that must not wait).
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from core.auth.permissions import ensure_admin
from core.config import Settings
from core.db.session import session_scope
from core.db.tables import JobRun, JobStatus, User, utcnow
from core.errors import CoreError
from core.jobs.locks import LockKind, make_lock
from core.jobs.registry import describe_error, get_job
from core.jobs.schemas import JobDispatch, JobRunRead
from core.jobs.summaries import summarize_result
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
    recorded as `queued` (by `dispatch_job`), which this run then carries on.
    """
    spec = get_job(name)
    args = spec.check_args(args or {})
    lock = make_lock(spec.lock_name(args), settings=settings, kind=lock_kind)
    if not lock.acquire():
        logger.info("job skipped: already running", extra={"job": name, "lock": lock.name})
        return _record_skipped(settings, name, args, triggered_by, run_id)
    try:
        run_id = _record_start(settings, name, args, triggered_by, run_id)
        try:
            logger.info("job started", extra={"job": name, "run_id": run_id, "job_args": args})
            with session_scope(settings) as session:
                result = jsonable(spec.func(session, settings=settings, **args))
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


def _record_queued(settings: Settings, name: str, args: dict, triggered_by: str) -> JobRunRead:
    with session_scope(settings) as session:
        run = JobRun(job=name, args=jsonable(args), status=JobStatus.QUEUED, triggered_by=triggered_by)
        session.add(run)
        session.flush()
        return JobRunRead.model_validate(run)


def _record_start(settings: Settings, name: str, args: dict, triggered_by: str, run_id: int | None) -> int:
    with session_scope(settings) as session:
        if run_id is not None:  # queued earlier: it starts now
            run = session.get_one(JobRun, run_id)
            run.status, run.started_at = JobStatus.RUNNING, utcnow()
        else:
            run = JobRun(job=name, args=jsonable(args), status=JobStatus.RUNNING, triggered_by=triggered_by)
            session.add(run)
        session.flush()
        return run.id


def _record_skipped(settings: Settings, name: str, args: dict, triggered_by: str, run_id: int | None) -> JobRunRead:
    with session_scope(settings) as session:
        run = session.get_one(JobRun, run_id) if run_id is not None else JobRun(job=name, args=jsonable(args))
        run.status, run.triggered_by, run.finished_at = JobStatus.SKIPPED, triggered_by, utcnow()
        run.error = "skipped: another run of this job holds its lock"
        session.add(run)
        session.flush()
        record_job_run(name, status=str(JobStatus.SKIPPED))
        return JobRunRead.model_validate(run)


def _record_finish(
    settings: Settings, run_id: int, status: JobStatus, *, result: dict | None = None, error: str | None = None
) -> JobRunRead:
    with session_scope(settings) as session:
        run = session.get_one(JobRun, run_id)
        run.status, run.finished_at, run.result, run.error = status, utcnow(), result, error
        session.flush()
        record_job_run(run.job, status=str(status), seconds=(run.finished_at - run.started_at).total_seconds())
        return JobRunRead.model_validate(run)


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


# --- dispatch ---------------------------------------------------------------------------------


def dispatch_job(
    name: str,
    *,
    settings: Settings,
    args: dict[str, Any] | None = None,
    triggered_by: str = "manual",
    background: bool = False,
) -> JobDispatch:
    """Start a job the configured way: Celery when `REDIS_URL` is set, else in this process.

    Retraining on Celery fans out one task per ticker. In-process, `background=True` records
    the run as `queued` (so a caller can show it at once), runs it in a daemon thread and
    returns that record; otherwise the finished run's record is returned.
    """
    spec = get_job(name)
    args = spec.check_args(args or {})
    if settings.redis_url:
        from core.jobs.celery_app import enqueue_job

        task_id = enqueue_job(name, settings=settings, args=args, triggered_by=triggered_by)
        return JobDispatch(job=name, mode="celery", task_id=task_id)
    if background:
        queued = _record_queued(settings, name, args, triggered_by)
        thread = threading.Thread(
            target=_run_logged,
            name=f"job-{name}",
            daemon=True,
            kwargs={
                "name": name,
                "settings": settings,
                "args": args,
                "triggered_by": triggered_by,
                "run_id": queued.id,
            },
        )
        thread.start()
        return JobDispatch(job=name, mode="thread", run=queued)
    return JobDispatch(
        job=name, mode="inline", run=run_job(name, settings=settings, args=args, triggered_by=triggered_by)
    )


def _run_logged(**kwargs: Any) -> None:
    try:
        run_job(**kwargs)
    except Exception:  # a thread's edge: nobody else would see the error
        logger.exception("background job crashed", extra={"job": kwargs.get("name")})


def request_job_run(*, settings: Settings, actor: User, name: str, args: dict[str, Any] | None = None) -> JobDispatch:
    """An admin asking for a run now (API, Admin page): started without waiting for it."""

    ensure_admin(actor)
    return dispatch_job(name, settings=settings, args=args, triggered_by=f"user:{actor.id}", background=True)
