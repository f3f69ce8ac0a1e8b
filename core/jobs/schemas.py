"""What the jobs area returns: job runs, the list of jobs, and a dispatch receipt."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, computed_field

from core.db.tables import JobStatus


class JobRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job: str
    args: dict[str, Any]
    status: JobStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None
    result: dict[str, Any] | None
    triggered_by: str

    @computed_field
    @property
    def duration_seconds(self) -> float | None:
        """From start to finish; None while queued or running."""
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    @computed_field
    @property
    def summary(self) -> str | None:
        """What the run did (`core.jobs.summaries`), recorded with its result."""
        return (self.result or {}).get("summary")


class JobRunList(BaseModel):
    items: list[JobRunRead]
    total: int
    limit: int
    offset: int


class JobInfo(BaseModel):
    name: str
    description: str
    schedule: str


class JobDispatch(BaseModel):
    """How a job was started: queued on Celery (with its task id), started in a thread, or run."""

    job: str
    mode: Literal["celery", "thread", "inline"]
    task_id: str | None = None
    run: JobRunRead | None = None


class JobRunRequest(BaseModel):
    """Arguments for a run asked for now (e.g. `{"tickers": "AAPL,MSFT", "force": true}`)."""

    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: 422, not ignored

    args: dict[str, str | bool | int | list[str]] = {}
