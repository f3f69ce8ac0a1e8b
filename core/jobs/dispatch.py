"""Starting a job the configured way: enqueued on Celery when `REDIS_URL` is set, else run
in this process (inline, or in a thread for callers that must not wait).

The one place that knows both the runner and the Celery app, so neither imports the other's
module back (the Celery tasks call the runner; the runner knows nothing of Celery).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core.auth.permissions import ensure_admin
from core.config import Settings
from core.db.tables import User
from core.jobs.celery_app import enqueue_job
from core.jobs.registry import get_job
from core.jobs.runner import record_queued, run_job
from core.jobs.schemas import JobDispatch
from core.jobs.service import triggered_by_user

logger = logging.getLogger(__name__)


def dispatch_job(
    name: str,
    *,
    settings: Settings,
    args: dict[str, Any] | None = None,
    triggered_by: str = "manual",
    background: bool = False,
) -> JobDispatch:
    """Start a job the configured way: Celery when `REDIS_URL` is set, else in this process.

    Retraining on Celery fans out one task per ticker; a broker that cannot be reached (or
    hangs) raises ServiceUnavailableError within a few seconds. In-process, `background=True`
    records the run as `queued` (so a caller can show it at once), runs it in a daemon thread
    and returns that record; otherwise the finished run's record is returned.
    """
    spec = get_job(name)
    args = spec.check_args(args or {})
    if settings.redis_url:
        task_id = enqueue_job(name, settings=settings, args=args, triggered_by=triggered_by)
        return JobDispatch(job=name, mode="celery", task_id=task_id)
    if background:
        queued = record_queued(settings, name, args, triggered_by)
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
    return dispatch_job(name, settings=settings, args=args, triggered_by=triggered_by_user(actor), background=True)
