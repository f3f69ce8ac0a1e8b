"""Admin (admin role only): users and their roles, background jobs and their runs."""

from __future__ import annotations

import streamlit as st

from core.auth.schemas import UserUpdate
from core.auth.service import update_user
from core.formatting import MISSING, number
from ui.auth import require_role
from ui.feedback import shown_errors
from ui.loaders import (
    call_as,
    database_key,
    load_job_catalog,
    load_job_run,
    load_job_runs,
    load_users,
    start_job,
)

ROLES = ["admin", "analyst", "viewer"]
FLASH_KEY = "admin_flash"
WATCHED_RUN_KEY = "admin_watched_run"
POLL_SECONDS = 2
STATUS_ICONS = {"queued": "⏳", "running": "🔄", "succeeded": "✅", "failed": "❌", "skipped": "⏭️"}


def job_title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def duration_text(seconds: float | None) -> str:
    return MISSING if seconds is None or seconds != seconds else f"{number(seconds, 1)} s"


def render_run(run) -> None:
    """The run just started: status, duration and what it did, or its error."""
    status = str(getattr(run.status, "value", run.status))
    with st.container(border=True):
        st.markdown(f"{STATUS_ICONS.get(status, '')} **{job_title(run.job)}** · run #{run.id} · **{status}**")
        if run.finished_at is None:
            st.caption(f"Started {run.started_at:%H:%M:%S} UTC; this panel updates every {POLL_SECONDS} s.")
        else:
            st.caption(f"Finished in {duration_text(run.duration_seconds)}.")
        if run.summary:
            st.write(run.summary)
        if run.error:
            st.error(run.error)


def follow_run(user_id: int, run_id: int) -> None:
    run = load_job_run(user_id, run_id)
    if run.finished_at is not None:
        load_job_runs.clear()  # the table below must show it finished too
        render_run(run)
        return

    @st.fragment(run_every=POLL_SECONDS)
    def poll() -> None:
        current = load_job_run(user_id, run_id)
        if current.finished_at is not None:
            load_job_runs.clear()
            st.rerun()  # the whole page, so the runs table shows the finished run too
        render_run(current)

    poll()


account = require_role("admin", title="Admin")
key = database_key()
st.title("Admin")
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)

users_tab, jobs_tab = st.tabs(["Users and roles", "Jobs"], key="tab", bind="query-params")

with users_tab, shown_errors("load the users"):
    users = load_users(key, account.id)
    st.dataframe(
        users,
        hide_index=True,
        width="stretch",
        column_config={"created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD")},
    )
    others = users[users["id"] != account.id]
    if others.empty:
        st.caption("You are the only user. Others appear here once they sign up through the API or log in.")
    else:
        st.markdown("**Change a user's role or access**")
        labels = {f"{row.email} ({row.role})": row for row in others.itertuples()}
        choice = labels[st.selectbox("User", list(labels), key="admin_user")]
        with st.form("change_role"):
            role = st.selectbox("Role", ROLES, index=ROLES.index(choice.role), key=f"admin_role_{choice.id}")
            active = st.checkbox("Active (may log in)", value=bool(choice.active), key=f"admin_active_{choice.id}")
            if st.form_submit_button("Save"):
                with shown_errors("change the user"):
                    call_as(
                        account.id,
                        update_user,
                        user_arg="actor",
                        user_id=int(choice.id),
                        data=UserUpdate(role=role, is_active=active),
                    )
                    load_users.clear()
                    st.session_state[FLASH_KEY] = f"{choice.email} is now {role}{'' if active else ' (inactive)'}."
                    st.rerun()

with jobs_tab:
    with shown_errors("list the jobs"):
        jobs = load_job_catalog(key)
        columns = st.columns(len(jobs))
        for column, job in zip(columns, jobs, strict=True):
            with column.container(border=True):
                st.markdown(f"**{job_title(job.name)}**")
                st.caption(f"{job.description}. Schedule: `{job.schedule}`")
                if st.button("Run now", key=f"run_{job.name}"):
                    with shown_errors(f"start {job.name}"):
                        dispatch = start_job(account.id, job.name)
                        if dispatch.run is not None:
                            st.session_state[WATCHED_RUN_KEY] = dispatch.run.id
                        st.session_state[FLASH_KEY] = f"Started {job_title(job.name)} ({dispatch.mode})."
                        st.rerun()
    if watched := st.session_state.get(WATCHED_RUN_KEY):
        with shown_errors("follow the run"):
            follow_run(account.id, int(watched))
    st.subheader("Recent runs")
    with shown_errors("load the job runs"):
        if st.button("Refresh", key="refresh_runs"):
            load_job_runs.clear()
        runs = load_job_runs(key, account.id)
        if runs.empty:
            st.info("No job runs yet. Start one above, or let the scheduler (`python -m core scheduler`) run them.")
        else:
            runs["duration_seconds"] = runs["duration_seconds"].map(duration_text)
            st.dataframe(
                runs,
                hide_index=True,
                width="stretch",
                column_config={
                    "id": st.column_config.NumberColumn("Run", width="small"),
                    "job": "Job",
                    "status": "Status",
                    "started_at": st.column_config.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
                    "duration_seconds": "Duration",
                    "triggered_by": "Triggered by",
                    "summary": st.column_config.TextColumn("What it did", width="large"),
                    "error": st.column_config.TextColumn("Error", width="medium"),
                },
            )
