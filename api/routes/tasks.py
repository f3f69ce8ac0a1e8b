"""Tasks: a user's long request started elsewhere (`POST …/tasks`, answered 202 with a
`Location` here), followed by polling from any API process: progress while queued or running,
then the result (the synchronous route's shape) or the error."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, RunDep
from core.tasks.records import TaskRead, get_task

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


def task_location(task: TaskRead) -> str:
    return f"{router.prefix}/{task.id}"


@router.get("/{task_id}", response_model=TaskRead)
async def read_task(task_id: int, run: RunDep, user: CurrentUser) -> TaskRead:
    """Status (queued, running, succeeded, failed), done/total/message, and the `result` once
    succeeded or the `error` (with `error_details` for a refused import). Another user's task
    is 404."""
    return await run(get_task, user=user, task_id=task_id)
