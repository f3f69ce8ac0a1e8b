"""Realised accuracy logged by date into the long-lived monitoring run."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core.tracking.monitoring import log_realised_accuracy, monitoring_run_id
from core.tracking.store import get_client


def by_date(days: list[str]) -> pd.DataFrame:
    rows = []
    for day in days:
        for model, mae in (("ensemble", 1.0), ("naive", 1.5)):
            rows.append(
                {
                    "ticker": "AAPL",
                    "model": model,
                    "target_date": dt.date.fromisoformat(day),
                    "n": 2,
                    "mae": mae,
                    "mape": 1.2,
                    "mase": mae / 2,
                    "coverage_80": 1.0,
                    "coverage_95": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_metrics_are_stepped_by_date_and_only_newer_dates_are_logged_again(mlflow_settings):
    first = log_realised_accuracy(mlflow_settings, by_date(["2016-12-28", "2016-12-29"]))
    assert first.dates_logged == 2 and first.logged_through == "2016-12-29"
    assert monitoring_run_id(mlflow_settings) == first.run_id  # one long-lived run

    again = log_realised_accuracy(mlflow_settings, by_date(["2016-12-28", "2016-12-29", "2016-12-30"]))
    assert again.run_id == first.run_id and again.dates_logged == 1 and again.logged_through == "2016-12-30"

    client = get_client(mlflow_settings)
    history = client.get_metric_history(first.run_id, "AAPL/mase/ensemble")
    days = sorted(dt.date(1970, 1, 1) + dt.timedelta(days=m.step) for m in history)
    assert days == [dt.date(2016, 12, 28), dt.date(2016, 12, 29), dt.date(2016, 12, 30)]
    assert {m.value for m in client.get_metric_history(first.run_id, "AAPL/mase/naive")} == {0.75}
    assert min(m.timestamp for m in history) == int(pd.Timestamp("2016-12-28", tz="UTC").timestamp() * 1000)


def test_the_replay_logs_the_ensembles_accuracy_by_month_over_a_year(session, tracking_settings):
    from core.db.session import OneSession
    from core.forecasting.accuracy import realised_by_month
    from core.forecasting.replay_monitoring import replay_and_log
    from tests.forecasting_service.synthetic import CHEAP, synthetic_closes, synthetic_prices
    from tests.tracking.fixtures import store_prices

    for seed, ticker in ((1, "SYNM"), (2, "SYNN")):
        store_prices(session, synthetic_prices(ticker, synthetic_closes(seed=seed)))
    result = replay_and_log(OneSession(session), settings=tracking_settings, tickers=["SYNM", "SYNN"], config=CHEAP)
    assert result["errors"] == {} and result["months"] >= 12
    run_id = result["monitoring"]["run_id"]
    client = get_client(tracking_settings)
    run = client.get_run(run_id)
    data_end = str(synthetic_closes().index[-1].date())
    assert run.info.run_name == f"all tickers · ensemble · h5 · {data_end} · replay"
    assert result["monitoring"]["run_url"].startswith(tracking_settings.mlflow_ui_url)

    expected = realised_by_month(session, replayed=True, versions=CHEAP.versions)
    ensemble = expected[expected["model"] == "ensemble"].set_index("month")
    for metric in ("mase", "coverage_80", "coverage_95"):
        history = client.get_metric_history(run_id, f"{metric}/ensemble")
        logged = {dt.date(1970, 1, 1) + dt.timedelta(days=m.step): m.value for m in history}
        assert len(logged) >= 12 and all(day.day == 1 for day in logged)
        assert logged == pytest.approx(ensemble[metric].to_dict())
    assert client.get_metric_history(run_id, "mase/naive")  # the members beside the ensemble

    again = replay_and_log(OneSession(session), settings=tracking_settings, tickers=["SYNM", "SYNN"], config=CHEAP)
    assert again["rows_added"] == 0
    assert again["monitoring"] == {**result["monitoring"], "created": False}
