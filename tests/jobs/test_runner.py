"""run_job: the lock holds (one run, one skip, both recorded), failures are recorded, and the
retrain job is per-ticker fault tolerant and idempotent — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from core.db.session import session_scope
from core.db.tables import JobRun, JobStatus, Role, User
from core.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from core.jobs.dispatch import request_job_run
from core.jobs.locks import default_lock_kind
from core.jobs.runner import run_job
from core.prometheus_metrics import render_latest
from tests.jobs.conftest import delete_prices, delete_runs, insert_prices, unique_ticker


def runs_of(settings, job: str) -> list[JobRun]:
    with session_scope(settings) as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def test_two_concurrent_runs_one_runs_one_is_skipped(settings, gated_job):
    name, job = gated_job
    assert default_lock_kind(settings) == ("advisory" if settings.database_url.startswith("postgres") else "row")
    outcome = {}
    first = threading.Thread(target=lambda: outcome.update(first=run_job(name, settings=settings)))
    first.start()
    try:
        assert job.started.wait(timeout=20), "the first run never started"
        second = run_job(name, settings=settings, triggered_by="second")
    finally:
        job.release.set()
        first.join(timeout=30)

    assert second.status == JobStatus.SKIPPED
    assert second.finished_at is not None and "lock" in second.error
    assert outcome["first"].status == JobStatus.SUCCEEDED
    assert outcome["first"].result == {"calls": 1, "value": None}  # NaN stored as null
    assert job.calls == 1
    statuses = {run.triggered_by: run.status for run in runs_of(settings, name)}
    assert statuses == {"manual": JobStatus.SUCCEEDED, "second": JobStatus.SKIPPED}

    # The lock was released: the next run goes ahead.
    job.started.clear()
    assert run_job(name, settings=settings).status == JobStatus.SUCCEEDED

    # Both outcomes reach Prometheus.
    exposition = render_latest().decode()
    assert f'stockcast_job_runs_total{{job="{name}",status="succeeded"}} 2.0' in exposition
    assert f'stockcast_job_runs_total{{job="{name}",status="skipped"}} 1.0' in exposition


def test_a_failing_job_is_recorded_and_releases_its_lock(settings, gated_job):
    name, job = gated_job
    job.release.set()
    run = run_job(name, settings=settings, args={"fail": True})
    assert run.status == JobStatus.FAILED
    assert run.error == "RuntimeError: injected failure"
    with pytest.raises(RuntimeError):
        run_job(name, settings=settings, args={"fail": True}, raise_errors=True)
    assert [r.status for r in runs_of(settings, name)] == [JobStatus.FAILED, JobStatus.FAILED]


def test_unknown_jobs_and_arguments_are_refused(settings):
    with pytest.raises(NotFoundError, match="unknown job"):
        run_job("no_such_job", settings=settings)
    with pytest.raises(InvalidInputError, match="takes no argument colour"):
        run_job("retrain", settings=settings, args={"colour": "red"})


def test_retrain_isolates_a_failing_ticker_and_is_idempotent(settings, tag):
    good, short = unique_ticker(), unique_ticker()
    insert_prices(settings.database_url, good, 260, seed=1)
    insert_prices(settings.database_url, short, 3, seed=2)
    args = {"tickers": f"{good},{short}", "models": "naive", "workers": 1}
    try:
        first = run_job("retrain", settings=settings, args=args, triggered_by=tag)
        assert first.status == JobStatus.FAILED  # one ticker failed …
        assert set(first.result["errors"]) == {short}
        assert first.result["tickers"][good]["status"] == "trained"  # … the other was trained
        assert first.result["tickers"][good]["data_end"] == "2016-12-30"

        # Running it again changes nothing for the ticker already trained on its newest price.
        again = run_job("retrain", settings=settings, args={**args, "tickers": good}, triggered_by=tag)
        assert again.status == JobStatus.SUCCEEDED
        assert again.result["tickers"][good]["status"] == "up_to_date"
        forced = run_job(
            "retrain", settings=settings, args={**args, "tickers": good, "force": "true"}, triggered_by=tag
        )
        assert forced.result["tickers"][good]["status"] == "trained"
    finally:
        delete_prices(settings.database_url, [good, short])


def test_request_job_run_is_admin_only_and_runs_in_the_background(settings, gated_job):
    name, job = gated_job
    with pytest.raises(PermissionDeniedError):
        request_job_run(settings=settings, actor=User(id=1, role=Role.VIEWER), name=name)
    dispatched = request_job_run(settings=settings, actor=User(id=7, role=Role.ADMIN), name=name)
    # Recorded before the thread starts, so the Admin page can show the run at once.
    assert dispatched.mode == "thread" and dispatched.run.status == JobStatus.QUEUED
    assert [r.id for r in runs_of(settings, name)] == [dispatched.run.id]
    job.release.set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        runs = runs_of(settings, name)
        if runs and runs[0].status == JobStatus.SUCCEEDED:
            break
        time.sleep(0.1)
    assert [(r.id, r.status, r.triggered_by) for r in runs_of(settings, name)] == [
        (dispatched.run.id, JobStatus.SUCCEEDED, "user:7")
    ]
    delete_runs(settings.database_url, jobs=[name])


def test_each_job_summarises_what_it_did():
    from core.jobs.registry import JOBS
    from core.jobs.summaries import SUMMARIES, summarize_result

    assert set(SUMMARIES) == set(JOBS)
    refresh = {"provider": "bundled", "rows_added": 1250, "updated": ["AAPL", "MSFT"], "alerts_triggered": 1}
    assert summarize_result("refresh_prices", refresh | {"predictions_realised": 0}) == (
        "1,250 price rows added for 2 tickers; 1 alert triggered; 0 predictions scored (provider bundled)."
    )
    retrain = {
        "tickers": {
            "AAPL": {"status": "trained", "outcomes": {"arima": {"promoted": True}, "naive": {"promoted": False}}},
            "MSFT": {"status": "up_to_date"},
        },
        "errors": {"KO": "NotFoundError: no prices"},
    }
    assert summarize_result("retrain", retrain) == (
        "2 models trained on 1 ticker, 1 promoted; 1 ticker already up to date; 1 ticker failed."
    )
    assert summarize_result("evaluate_realised", {"updated": 40, "dates_logged": 3}) == (
        "40 predictions scored against realised prices; 3 dates of accuracy logged to MLflow."
    )
    assert summarize_result("reindex_chat", {"documents": 1}) == "1 document indexed for the chat assistant."
    replay = {"tickers": {"AAPL": 52, "MSFT": 52}, "rows_added": 520, "predictions_scored": 500, "months": 13}
    assert summarize_result("replay", replay | {"errors": {}}) == (
        "520 forecast steps replayed for 2 tickers; 500 predictions scored; 13 months of realised accuracy."
    )
    down = replay | {"monitoring": {"monitoring_error": "MLflow is down"}, "errors": {"KO": "no prices"}}
    assert summarize_result("replay", down).endswith("; MLflow not updated: MLflow is down; 1 ticker failed.")
    assert summarize_result("no_such_job", {"x": 1}) is None
