"""Reading job runs (Admin page, `GET /api/jobs`, `python -m core jobs list`).

Admins see every run; anyone else sees only the runs they asked for (`triggered_by` is
`user:<id>`), so no one reads another user's tickers in a run's arguments, result or summary.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth.permissions import is_admin
from core.config import Settings
from core.db.loop_reads import bounded_read
from core.db.tables import JobRun, User
from core.errors import NotFoundError
from core.jobs.registry import JOBS
from core.jobs.schemas import JobInfo, JobRunRead

MAX_PAGE = 500


def triggered_by_user(user: User) -> str:
    """The `triggered_by` of the runs `user` asked for."""
    return f"user:{user.id}"


@bounded_read
def list_job_runs(
    session: Session, *, actor: User | None, limit: int = 50, offset: int = 0, job: str | None = None
) -> tuple[list[JobRun], int]:
    """Runs `actor` may see (`None`: the command line, every run), newest first (index on job,
    started_at), and how many there are in all."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(JobRun)
    count = select(func.count()).select_from(JobRun)
    if actor is not None and not is_admin(actor):
        query = query.where(JobRun.triggered_by == triggered_by_user(actor))
        count = count.where(JobRun.triggered_by == triggered_by_user(actor))
    if job:
        query = query.where(JobRun.job == job)
        count = count.where(JobRun.job == job)
    rows = session.scalars(query.order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit).offset(offset))
    return list(rows), int(session.scalar(count) or 0)


def list_jobs(settings: Settings) -> list[JobInfo]:
    """Every job with its description and cron schedule."""
    return [
        JobInfo(name=spec.name, description=spec.description, schedule=getattr(settings, spec.cron_setting))
        for spec in JOBS.values()
    ]


@bounded_read
def get_job_run(session: Session, *, actor: User | None, run_id: int) -> JobRunRead:
    run = session.get(JobRun, run_id)
    restricted = actor is not None and not is_admin(actor)
    foreign = run is not None and restricted and run.triggered_by != triggered_by_user(actor)
    if run is None or foreign:  # another user's run does not exist for this actor
        raise NotFoundError(f"job run {run_id} not found")
    return JobRunRead.model_validate(run)
