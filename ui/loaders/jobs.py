"""Background jobs (Admin page): runs, the catalog, and starting one.

Reads are `st.cache_data(ttl=…)` functions whose first argument is the database URL (so
two databases never share entries) and which return picklable values (pydantic models,
frames), never ORM objects.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.auth.service import get_user
from core.config import get_settings
from core.db.session import session_scope
from core.jobs.dispatch import request_job_run
from core.jobs.schemas import JobDispatch, JobInfo, JobRunRead
from core.jobs.service import get_job_run, list_job_runs, list_jobs
from ui.loaders.base import call_as


@st.cache_data(ttl=5, show_spinner=False)
def load_job_runs(database_url: str, user_id: int, limit: int = 50) -> pd.DataFrame:
    rows, _total = call_as(user_id, list_job_runs, user_arg="actor", write=False, limit=limit)
    columns = ["id", "job", "status", "started_at", "duration_seconds", "triggered_by", "summary", "error"]
    reads = [JobRunRead.model_validate(row) for row in rows]
    return pd.DataFrame([{c: _plain(getattr(row, c, None)) for c in columns} for row in reads], columns=columns)


def load_job_run(user_id: int, run_id: int) -> JobRunRead:
    """One run as it stands now (not cached: the Admin page polls it while it runs)."""
    return call_as(user_id, get_job_run, user_arg="actor", write=False, run_id=run_id)


@st.cache_data(ttl=600, show_spinner=False)
def load_job_catalog(database_url: str) -> list[JobInfo]:
    return list_jobs(get_settings())


def start_job(admin_id: int, name: str, args: dict[str, Any] | None = None) -> JobDispatch:
    """Ask for a job run now (admins only; checked by core), without waiting for it."""

    with session_scope(get_settings()) as session:
        admin = get_user(session, user_id=admin_id)
    dispatch = request_job_run(settings=get_settings(), actor=admin, name=name, args=args)
    load_job_runs.clear()
    return dispatch


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
