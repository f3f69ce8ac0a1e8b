"""`/api/jobs`: runs listed newest first with pagination and a job filter; running a job now
is for admins only."""

from __future__ import annotations

import datetime as dt
import uuid

from core.db.tables import JobRun, JobStatus, Role
from tests.factories import DEFAULT_PASSWORD, make_user


def add_runs(session, job: str, count: int) -> None:
    start = dt.datetime(2016, 12, 30, 22, 30, tzinfo=dt.UTC)
    for index in range(count):
        session.add(
            JobRun(
                job=job,
                args={"n": index},
                status=JobStatus.SUCCEEDED,
                triggered_by="schedule",
                started_at=start + dt.timedelta(minutes=index),
                finished_at=start,
                result={"n": index},
            )
        )
    session.flush()


async def test_job_runs_are_paginated_newest_first(api):
    headers = await api.signup()
    job = f"job_{uuid.uuid4().hex[:8]}"
    await api.run(add_runs, job=job, count=5)

    page = await api.client.get(f"/api/jobs?job={job}&limit=2&offset=1", headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 5 and body["limit"] == 2 and body["offset"] == 1
    assert [item["args"]["n"] for item in body["items"]] == [3, 2]
    assert body["items"][0]["status"] == "succeeded" and body["items"][0]["triggered_by"] == "schedule"

    assert (await api.client.get("/api/jobs?limit=0", headers=headers)).status_code == 422
    assert (await api.client.get("/api/jobs")).status_code == 401


async def test_available_jobs_have_their_schedules(api):
    headers = await api.signup()
    jobs = (await api.client.get("/api/jobs/available", headers=headers)).json()
    assert {job["name"] for job in jobs} == {"refresh_prices", "retrain", "evaluate_realised", "reindex_chat", "replay"}
    assert all(len(job["schedule"].split()) in (5, 6) for job in jobs)


async def test_running_a_job_now_is_for_admins(api):
    analyst = await api.run(make_user, role=Role.ANALYST)
    admin = await api.run(make_user, role=Role.ADMIN)
    analyst_headers = await api.login(analyst.email, DEFAULT_PASSWORD)
    admin_headers = await api.login(admin.email, DEFAULT_PASSWORD)

    refused = await api.client.post("/api/jobs/evaluate_realised/run", headers=analyst_headers)
    assert refused.status_code == 403
    unknown = await api.client.post("/api/jobs/no_such_job/run", headers=admin_headers)
    assert unknown.status_code == 404
    bad_args = await api.client.post("/api/jobs/retrain/run", json={"args": {"colour": "red"}}, headers=admin_headers)
    assert bad_args.status_code == 422


async def test_an_analyst_lists_only_their_own_runs(api):
    analyst = await api.run(make_user, role=Role.ANALYST)
    headers = await api.login(analyst.email, DEFAULT_PASSWORD)
    job = f"job_{uuid.uuid4().hex[:8]}"
    await api.run(add_runs, job=job, count=3)  # the scheduler's runs: they name everyone's tickers

    def add_own(session) -> None:
        session.add(JobRun(job=job, args={}, status=JobStatus.QUEUED, triggered_by=f"user:{analyst.id}"))
        session.flush()

    await api.run(add_own)
    body = (await api.client.get(f"/api/jobs?job={job}", headers=headers)).json()
    assert body["total"] == 1 and [item["triggered_by"] for item in body["items"]] == [f"user:{analyst.id}"]
