"""Background jobs: their runs (paginated), the job list, and an admin's "run now"."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, RunDep, SettingsDep, VerifiedUser
from core.jobs.dispatch import request_job_run
from core.jobs.schemas import JobDispatch, JobInfo, JobRunList, JobRunRead, JobRunRequest
from core.jobs.service import list_job_runs, list_jobs

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("", response_model=JobRunList)
async def read_job_runs(
    run: RunDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    job: Annotated[str | None, Query(max_length=64)] = None,
) -> JobRunList:
    """Job runs, newest first: every run for an admin, else only the caller's own."""
    runs, total = await run(list_job_runs, user=user, user_arg="actor", limit=limit, offset=offset, job=job)
    return JobRunList(items=[JobRunRead.model_validate(r) for r in runs], total=total, limit=limit, offset=offset)


@router.get("/available", response_model=list[JobInfo])
async def read_jobs(settings: SettingsDep, _user: VerifiedUser) -> list[JobInfo]:
    """The jobs and their cron schedules (UTC)."""
    return list_jobs(settings)


@router.post("/{name}/run", response_model=JobDispatch, status_code=status.HTTP_202_ACCEPTED)
async def run_job_now(
    name: str, settings: SettingsDep, actor: VerifiedUser, request: JobRunRequest | None = None
) -> JobDispatch:
    """Admin only: start a job now (queued on Celery when configured, else in the background)."""
    args = request.args if request else {}
    return await asyncio.to_thread(request_job_run, settings=settings, actor=actor, name=name, args=args)
