"""Realised accuracy logged by date into the long-lived monitoring run."""

from __future__ import annotations

import datetime as dt

import pandas as pd

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
