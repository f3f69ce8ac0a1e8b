"""Serving forecasts: champion when it fits, fresh fit for what-ifs, recorded, and still
working when MLflow is down. Real database, real MLflow store."""

from __future__ import annotations

import socket

import pandas as pd
import pytest
from mlflow import MlflowClient
from sqlalchemy import func, select

from core.db.tables import PredictionHistory
from core.errors import InsufficientHistoryError, InvalidInputError
from core.forecasting.service import forecast
from core.forecasting.training import train_model
from tests.tracking.fixtures import closes_of, store_prices


@pytest.fixture
def prices(session, test_prices):
    store_prices(session, test_prices)
    return test_prices


@pytest.fixture
def skill_settings(tracking_settings):
    return tracking_settings.model_copy(update={"skill_folds": 4, "skill_span": 30, "backtest_workers": 1})


def recorded(session, **where) -> int:
    query = select(func.count()).select_from(PredictionHistory)
    for column, value in where.items():
        query = query.where(getattr(PredictionHistory, column) == value)
    return session.scalar(query)


def test_no_champion_trains_registers_and_the_next_request_is_served_by_the_champion(
    session, tracking_settings, skill_settings, prices
):
    first = forecast(session, settings=tracking_settings, ticker="msft", horizon=5, model="drift")
    assert first.source == "champion" and first.model_version == "1" and first.notice is None
    # The champion's training backtest is not this request's: no skill until this horizon's is measured.
    assert first.skill is None
    assert list(first.frame.columns) == ["date", "mean", "lo80", "hi80", "lo95", "hi95"] and len(first.frame) == 5

    second = forecast(session, settings=tracking_settings, ticker="MSFT", horizon=12, model="drift")
    assert second.source == "champion" and second.model_version == "1"
    assert len(second.frame) == 12  # any horizon: the fitted champion extrapolates further
    pd.testing.assert_frame_equal(second.frame.head(5)[["date", "mean"]], first.frame[["date", "mean"]])
    # The champion's first 5 steps from this origin were recorded already: only 6–12 are added.
    assert recorded(session, ticker="MSFT", model="drift") == 12
    again = forecast(session, settings=tracking_settings, ticker="MSFT", horizon=12, model="drift")
    assert again.model_version == "1" and recorded(session, ticker="MSFT", model="drift") == 12
    row = session.scalars(select(PredictionHistory).where(PredictionHistory.horizon_step == 12)).one()
    assert (row.origin_date.isoformat(), row.target_date.isoformat()) == ("2016-12-30", "2017-01-19")
    assert row.lo95 <= row.lo80 <= row.predicted_value <= row.hi80 <= row.hi95 and row.realised_value is None

    # Retraining the same model on the same data is a tie: the champion stays.
    trained = train_model(
        tracking_settings, ticker="MSFT", model="drift", series=closes_of(prices, "MSFT"), horizon=5, n_jobs=1
    )
    assert not trained.promoted and trained.version == "2"
    served = forecast(
        session, settings=skill_settings, ticker="MSFT", horizon=5, model="drift", record=False, measure_skill=True
    )
    assert served.model_version == "1" and served.skill is not None and served.skill.horizon == 5


def test_the_champion_carries_the_skill_of_the_requested_horizon(session, skill_settings, prices):
    outcome = train_model(
        skill_settings, ticker="AAPL", model="naive", series=closes_of(prices, "AAPL"), horizon=5, folds=3, n_jobs=1
    )
    result = forecast(
        session, settings=skill_settings, ticker="AAPL", horizon=15, model="naive", record=False, measure_skill=True
    )
    assert result.source == "champion" and result.model_version == outcome.version
    # Naive judged against naive on the same folds: MASE equal, skill exactly 0, no better than naive.
    skill = result.skill
    assert skill is not None and (skill.horizon, skill.folds, skill.model) == (15, 4, "naive")
    assert skill.mase == pytest.approx(skill.naive_mase) and skill.skill_vs_naive == pytest.approx(0.0)
    assert not skill.beats_naive and skill.text().startswith("no better than naive")
    assert recorded(session, ticker="AAPL") == 0


def test_a_what_if_is_fitted_fresh_and_never_registered(session, tracking_settings, prices):
    result = forecast(
        session,
        settings=tracking_settings,
        ticker="AAPL",
        horizon=5,
        model="ensemble",
        models=["naive", "drift"],
        weights={"naive": 0.25, "drift": 0.75},
        window=200,
    )
    assert result.source == "trained" and result.what_if and result.model_version == "what-if"
    assert set(result.members) == {"naive", "drift"}
    client = MlflowClient(tracking_settings.mlflow_tracking_uri, tracking_settings.mlflow_tracking_uri)
    assert not client.search_registered_models("name = 'AAPL-ensemble'")
    # The ensemble and both members are recorded, to compare their realised accuracy later.
    assert recorded(session, ticker="AAPL", model="ensemble") == 5
    assert recorded(session, ticker="AAPL", model="drift", model_version="ensemble:what-if") == 5


def test_mlflow_unreachable_still_forecasts_with_a_notice(session, tracking_settings, prices):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = tracking_settings.model_copy(update={"mlflow_tracking_uri": f"http://127.0.0.1:{port}"})
    result = forecast(session, settings=down, ticker="MSFT", horizon=3, model="naive")
    assert result.source == "trained" and result.model_version == "unregistered" and len(result.frame) == 3
    assert "MLflow store http://127.0.0.1" in result.notice and "not registered" in result.notice
    assert recorded(session, ticker="MSFT", model="naive") == 3


def test_bad_requests_are_refused_clearly(session, tracking_settings, prices):
    with pytest.raises(InvalidInputError, match="horizon"):
        forecast(session, settings=tracking_settings, ticker="AAPL", horizon=0, model="naive")
    with pytest.raises(InvalidInputError, match="unknown model"):
        forecast(session, settings=tracking_settings, ticker="AAPL", horizon=5, model="oracle")
    with pytest.raises(InvalidInputError, match="ensemble only"):
        forecast(session, settings=tracking_settings, ticker="AAPL", horizon=5, model="naive", models=["drift"])
    with pytest.raises(InsufficientHistoryError, match="at least"):
        forecast(session, settings=tracking_settings, ticker="AAPL", horizon=5, model="arima", window=10)
