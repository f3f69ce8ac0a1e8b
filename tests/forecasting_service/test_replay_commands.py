"""`python -m core replay` and the `replay` job, on committed synthetic prices (removed after)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select

from core.cli import main
from core.db.session import session_scope
from core.db.tables import JobRun, PredictionHistory, Price
from core.jobs.runner import run_job
from tests.forecasting_service.synthetic import synthetic_closes, synthetic_prices
from tests.tracking.fixtures import store_prices


@pytest.fixture
def committed_ticker(use_settings):
    ticker = f"R{uuid.uuid4().hex[:5].upper()}"
    with session_scope(use_settings) as session:
        store_prices(session, synthetic_prices(ticker, synthetic_closes(400)))
    yield ticker
    with session_scope(use_settings) as session:
        session.execute(delete(PredictionHistory).where(PredictionHistory.ticker == ticker))
        session.execute(delete(Price).where(Price.ticker == ticker))
        session.execute(delete(JobRun).where(JobRun.job == "replay"))


def _replayed_rows(settings, ticker: str) -> int:
    with session_scope(settings) as session:
        query = select(func.count()).where(PredictionHistory.ticker == ticker, PredictionHistory.replayed.is_(True))
        return session.scalar(query)


def test_the_command_replays_prints_the_months_and_links_the_monitoring_run(use_settings, committed_ticker, capsys):
    args = ["replay", "--tickers", committed_ticker, "--members", "naive,drift", "--months", "2", "--no-progress"]
    assert main(args) == 0
    out = capsys.readouterr().out
    rows = _replayed_rows(use_settings, committed_ticker)
    assert f"{rows} forecast rows added, {rows} scored" in out and rows > 0
    assert "ensemble" in out and "coverage_80" in out
    assert f"MLflow monitoring run: {use_settings.mlflow_ui_url}" in out
    assert main(args) == 0  # again: nothing left to replay
    assert "0 forecast rows added" in capsys.readouterr().out


def test_the_job_replays_the_tickers_it_is_given(use_settings, committed_ticker):
    args = {"tickers": committed_ticker, "months": "1", "members": "naive,drift"}
    run = run_job("replay", settings=use_settings, args=args)
    assert run.status == "succeeded", run.error
    assert run.result["rows_added"] == _replayed_rows(use_settings, committed_ticker) > 0
    assert run.result["tickers"] == {committed_ticker: run.result["tickers"][committed_ticker]}


def test_by_default_the_replay_forecasts_as_the_champion_would() -> None:
    from core.forecasting.replay import ReplayConfig
    from models.ensemble import EnsembleForecaster

    config = ReplayConfig()
    # The champion is the ensemble with its default parameters: so is the replay's forecaster.
    assert config.model == "ensemble" and config.params == {}
    assert config.member_names == tuple(EnsembleForecaster.default_params["members"])
    assert ReplayConfig(members=("naive", "drift")).params == {"members": ["naive", "drift"]}
