"""The `user_task` rows: what a poll reads, and the few short writes that move a task along.

queued ──(a worker thread picks it)──▶ running ──▶ succeeded (result) | failed (error)
   └─────────────(no heartbeat for JOB_LEASE_SECONDS: its process died)──────▶ failed

Every function takes the caller's session and never commits (core.db.session owns the units).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.loop_reads import bounded_read
from core.db.tables import JobStatus, User, UserTask, utcnow
from core.errors import NotFoundError

logger = logging.getLogger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
ABANDONED = (
    "abandoned: the server process running it stopped (no heartbeat for {seconds:g} s); "
    "nothing of it was kept; start it again"
)


class TaskRead(BaseModel):
    """A task as its owner sees it: progress while it runs, then its result or its error
    (`error_details` lists the problems of a refused import, as a 422 would: row, column, reason)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    status: JobStatus
    done: int
    total: int
    message: str
    result: dict[str, Any] | None
    error: str | None
    error_details: list[dict[str, Any]]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def create_task(session: Session, *, owner: User, kind: str, message: str) -> UserTask:
    task = UserTask(owner_id=owner.id, kind=kind, status=JobStatus.QUEUED, done=0, total=0, message=message)
    session.add(task)
    session.flush()
    return task


@bounded_read
def get_task(session: Session, *, owner: User, task_id: int) -> TaskRead:
    """The owner's task; another user's is "not found", so ids do not leak."""
    task = session.scalar(select(UserTask).where(UserTask.id == task_id, UserTask.owner_id == owner.id))
    if task is None:
        raise NotFoundError(f"task {task_id} not found")
    return TaskRead.model_validate(task)


def mark_running(session: Session, *, task_id: int) -> bool:
    """Queued → running; False when it is no longer queued (reaped meanwhile: do not run it)."""
    now = utcnow()
    changed = session.execute(
        update(UserTask)
        .where(UserTask.id == task_id, UserTask.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now)
    )
    return changed.rowcount == 1


def write_progress(session: Session, *, progress: dict[int, tuple[int, int, str]], beating: list[int]) -> None:
    """Store the latest progress of running tasks and stamp the heartbeat of every task in
    `beating` (this process's queued and running ones). A finished task is never touched."""
    now = utcnow()
    for task_id, (done, total, message) in progress.items():
        session.execute(
            update(UserTask)
            .where(UserTask.id == task_id, UserTask.status == JobStatus.RUNNING)
            .values(done=done, total=total, message=message[:200], heartbeat_at=now)
        )
    if beating:
        session.execute(
            update(UserTask).where(UserTask.id.in_(beating), UserTask.status.in_(UNFINISHED)).values(heartbeat_at=now)
        )


def record_success(session: Session, *, task_id: int, result: BaseModel, done: int, total: int) -> None:
    """The task succeeded with `result` (once: a second call changes nothing). Called in the
    unit of work that commits the task's own writes (an import), "succeeded" and the rows are
    committed together, even if a reaper had wrongly given up on it meanwhile."""
    task = session.get(UserTask, task_id)
    if task is not None and task.status != JobStatus.SUCCEEDED:
        task.status, task.result = JobStatus.SUCCEEDED, result.model_dump(mode="json")
        task.done = task.total = max(done, total, 1)
        task.message, task.finished_at = "Done", utcnow()
        task.error, task.error_details = None, []


def record_failure(session: Session, *, task_id: int, error: str, details: list[dict[str, Any]]) -> None:
    task = session.get(UserTask, task_id)
    if task is not None and task.status in UNFINISHED:
        task.status, task.error, task.error_details = JobStatus.FAILED, error, details
        task.message, task.finished_at = "Failed", utcnow()


def find_abandoned_tasks(session: Session, *, settings: Settings, now: dt.datetime | None = None) -> list[int]:
    """Queued or running tasks silent for longer than the lease (a read: cheap to ask often)."""
    deadline = (now or utcnow()) - dt.timedelta(seconds=settings.job_lease_seconds)
    last_sign = func.coalesce(UserTask.heartbeat_at, UserTask.created_at)
    return list(session.scalars(select(UserTask.id).where(UserTask.status.in_(UNFINISHED), last_sign < deadline)))


def fail_abandoned_tasks(session: Session, *, settings: Settings, task_ids: list[int]) -> list[int]:
    """Mark `failed` those of `task_ids` still silent for longer than the lease; their ids."""
    now = utcnow()
    deadline = now - dt.timedelta(seconds=settings.job_lease_seconds)
    last_sign = func.coalesce(UserTask.heartbeat_at, UserTask.created_at)
    stale = session.scalars(
        select(UserTask)
        .where(UserTask.id.in_(task_ids), UserTask.status.in_(UNFINISHED), last_sign < deadline)
        .with_for_update(skip_locked=True)
    ).all()
    for task in stale:
        task.status, task.finished_at, task.message = JobStatus.FAILED, now, "Failed"
        task.error = ABANDONED.format(seconds=settings.job_lease_seconds)
        logger.warning("user task abandoned: marked failed", extra={"task_id": task.id, "kind": task.kind})
    return [task.id for task in stale]
