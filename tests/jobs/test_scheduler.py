"""The schedule: cron expressions from settings become triggers, and a trigger a second away
fires its job, which `run_job` records."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from core.db.session import session_scope
from core.db.tables import JobRun, JobStatus
from core.errors import InvalidInputError
from core.jobs.registry import JOBS
from core.jobs.scheduler import REAPER_ID, build_scheduler, parse_cron

NEVER = "0 0 1 1 *"  # once a year: out of the test's way


def test_cron_expressions_have_five_or_six_fields():
    weekday_evening = parse_cron("30 22 * * mon-fri")
    first = weekday_evening.get_next_fire_time(None, dt.datetime(2016, 12, 30, 12, tzinfo=dt.UTC))  # a Friday
    assert first == dt.datetime(2016, 12, 30, 22, 30, tzinfo=dt.UTC)
    after = weekday_evening.get_next_fire_time(None, first + dt.timedelta(minutes=1))
    assert after == dt.datetime(2017, 1, 2, 22, 30, tzinfo=dt.UTC)  # skips the weekend
    every_two_seconds = parse_cron("*/2 * * * * *")
    start = dt.datetime(2016, 12, 30, 12, 0, 1, tzinfo=dt.UTC)
    assert every_two_seconds.get_next_fire_time(None, start) == start + dt.timedelta(seconds=1)
    with pytest.raises(InvalidInputError):
        parse_cron("every day")
    with pytest.raises(InvalidInputError):
        parse_cron("99 * * * *")


def test_every_job_is_scheduled_from_settings_with_the_reaper_every_heartbeat(settings):
    scheduler = build_scheduler(settings, scheduler=BackgroundScheduler(timezone="UTC"))
    assert {job.id for job in scheduler.get_jobs()} == {*JOBS, REAPER_ID}
    reaper = scheduler.get_job(REAPER_ID)
    assert reaper.trigger.interval.total_seconds() == settings.job_heartbeat_seconds


def test_the_scheduler_fires_a_job_on_a_short_schedule(settings, tag):
    quick = settings.model_copy(
        update={
            "refresh_cron": NEVER,
            "retrain_cron": NEVER,
            "reindex_cron": NEVER,
            "replay_cron": NEVER,
            "evaluate_cron": "* * * * * *",
        }
    )
    scheduler = build_scheduler(quick, scheduler=BackgroundScheduler(timezone="UTC"), triggered_by=tag)
    scheduler.start()
    try:
        deadline = time.monotonic() + 15
        runs = []
        while time.monotonic() < deadline and not any(run.status == JobStatus.SUCCEEDED for run in runs):
            time.sleep(0.2)
            with session_scope(settings) as session:
                runs = session.scalars(select(JobRun).where(JobRun.triggered_by == tag)).all()
    finally:
        scheduler.shutdown(wait=True)
    assert runs, "the scheduled job never ran"
    assert {run.job for run in runs} == {"evaluate_realised"}
    assert any(run.status == JobStatus.SUCCEEDED for run in runs), [(r.status, r.error) for r in runs]
