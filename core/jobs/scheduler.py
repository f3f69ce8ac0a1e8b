"""The daily schedule: APScheduler 3 with one cron trigger per job, from settings.

`python -m core scheduler` runs `build_scheduler(settings)` (a BlockingScheduler) beside the
UI and API. When `REDIS_URL` is set each firing is enqueued on Celery (retrain fans out per
ticker) and the workers do the work; otherwise the job runs here, in the scheduler's thread
pool. Either way `run_job`'s lock keeps two runs of one job from overlapping.

Cron expressions have the 5 crontab fields (`30 22 * * mon-fri`), or 6 with seconds first
(`*/2 * * * * *`), evaluated in UTC. A firing missed while the process was down runs when it
comes back within an hour (`misfire_grace_time`); several missed firings run once (coalesce).

Every `JOB_HEARTBEAT_SECONDS` the scheduler also fails the runs whose worker died (their
lease lapsed: `core.jobs.leases`), so the Admin page shows them failed within about a lease.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.config import Settings
from core.errors import InvalidInputError
from core.jobs.dispatch import dispatch_job
from core.jobs.leases import reap_abandoned_runs
from core.jobs.registry import JOBS

logger = logging.getLogger(__name__)

TIMEZONE = "UTC"
MISFIRE_GRACE_SECONDS = 3600
REAPER_ID = "reap_abandoned_runs"


def parse_cron(expression: str) -> CronTrigger:
    """A trigger from a 5-field crontab expression, or 6 fields with seconds first."""
    fields = expression.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(expression, timezone=TIMEZONE)
        if len(fields) == 6:
            second, minute, hour, day, month, day_of_week = fields
            return CronTrigger(
                second=second,
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=day_of_week,
                timezone=TIMEZONE,
            )
    except ValueError as exc:
        raise InvalidInputError(f"bad cron expression {expression!r}: {exc}") from exc
    raise InvalidInputError(f"cron expression {expression!r} needs 5 fields (or 6 with seconds first)")


def fire_job(name: str, settings: Settings, triggered_by: str = "schedule") -> None:
    """What a trigger calls: dispatch the job, and log (never raise) a failure to start it."""
    try:
        dispatched = dispatch_job(name, settings=settings, triggered_by=triggered_by)
    except Exception:  # the scheduler's edge: keep the schedule alive
        logger.exception("scheduled job could not start", extra={"job": name})
        return
    logger.info("scheduled job dispatched", extra={"job": name, "mode": dispatched.mode, "task_id": dispatched.task_id})


def build_scheduler(
    settings: Settings, *, scheduler: BaseScheduler | None = None, triggered_by: str = "schedule"
) -> BaseScheduler:
    """`scheduler` (a BlockingScheduler by default) with every job's cron trigger added."""
    scheduler = scheduler or BlockingScheduler(timezone=TIMEZONE)
    for spec in JOBS.values():
        scheduler.add_job(
            fire_job,
            trigger=parse_cron(getattr(settings, spec.cron_setting)),
            args=[spec.name, settings, triggered_by],
            id=spec.name,
            name=spec.description,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            replace_existing=True,
        )
    scheduler.add_job(
        reap_runs,
        trigger=IntervalTrigger(seconds=settings.job_heartbeat_seconds, timezone=TIMEZONE),
        args=[settings],
        id=REAPER_ID,
        name="Fail job runs whose worker died",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler


def reap_runs(settings: Settings) -> None:
    """Fail runs whose lease lapsed; a database hiccup is logged, never raised (the scheduler's edge)."""
    try:
        reap_abandoned_runs(settings)
    except Exception:
        logger.warning("could not check for abandoned job runs", exc_info=True)


def run_scheduler(settings: Settings) -> None:
    """Block, running the schedule until interrupted (Ctrl-C, SIGTERM)."""
    import signal

    scheduler = build_scheduler(settings)

    def _stop(_signum, _frame) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, _stop)
    mode = "celery" if settings.redis_url else "in-process"
    for job in scheduler.get_jobs():
        logger.info("scheduled", extra={"job": job.id, "trigger": str(job.trigger), "mode": mode})
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
