"""Reading job runs (Admin page, `GET /api/jobs`, `python -m core jobs list`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.tables import JobRun
from core.errors import NotFoundError
from core.jobs.registry import JOBS
from core.jobs.schemas import JobInfo, JobRunRead

MAX_PAGE = 500


def list_job_runs(
    session: Session, *, limit: int = 50, offset: int = 0, job: str | None = None
) -> tuple[list[JobRun], int]:
    """Runs newest first (index on job, started_at), and how many there are in all."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(JobRun)
    count = select(func.count()).select_from(JobRun)
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


def get_job_run(session: Session, *, run_id: int) -> JobRunRead:
    run = session.get(JobRun, run_id)
    if run is None:
        raise NotFoundError(f"job run {run_id} not found")
    return JobRunRead.model_validate(run)
