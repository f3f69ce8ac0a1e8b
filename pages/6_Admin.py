"""Admin (admin role only): users and their roles, background jobs and their runs."""

from __future__ import annotations

import streamlit as st

from core.auth.schemas import UserUpdate
from core.auth.service import update_user
from ui.auth import require_role
from ui.feedback import shown_errors
from ui.loaders import call_as, database_key, load_job_catalog, load_job_runs, load_users, start_job

ROLES = ["admin", "analyst", "viewer"]
FLASH_KEY = "admin_flash"

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
                st.markdown(f"**{job.name.replace('_', ' ').capitalize()}**")
                st.caption(f"{job.description}. Schedule: `{job.schedule}`")
                if st.button("Run now", key=f"run_{job.name}"):
                    with shown_errors(f"start {job.name}"):
                        dispatch = start_job(account.id, job.name)
                        st.session_state[FLASH_KEY] = f"Started {job.name} ({dispatch.mode}); its run appears below."
                        st.rerun()
    st.subheader("Recent runs")
    with shown_errors("load the job runs"):
        if st.button("Refresh", key="refresh_runs"):
            load_job_runs.clear()
        runs = load_job_runs(key)
        if runs.empty:
            st.info("No job runs yet. Start one above, or let the scheduler (`python -m core scheduler`) run them.")
        else:
            st.dataframe(runs, hide_index=True, width="stretch")
