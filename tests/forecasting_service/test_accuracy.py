"""Accuracy over time: matured predictions get their realised close, then are scored."""

from __future__ import annotations

import pytest

from core.forecasting.accuracy import realised_accuracy, realised_by_date, update_realised
from core.forecasting.service import forecast
from tests.tracking.fixtures import store_prices


def test_realised_values_fill_in_when_prices_arrive_and_are_scored(session, tracking_settings, test_prices):
    aapl = test_prices[test_prices["ticker"] == "AAPL"]
    cutoff = aapl["date"].iloc[-11]
    store_prices(session, aapl[aapl["date"] <= cutoff])
    # A what-if (custom window) needs no MLflow at all.
    made = forecast(session, settings=tracking_settings, ticker="AAPL", horizon=5, model="drift", window=250)
    assert update_realised(session) == 0  # nothing has matured yet
    assert realised_accuracy(session).empty

    store_prices(session, aapl[aapl["date"] > cutoff])  # the price refresh
    assert update_realised(session) == 5
    assert update_realised(session) == 0  # idempotent

    table = realised_accuracy(session, ticker="AAPL")
    row = table.iloc[0]
    assert (row["ticker"], row["model"], row["n"]) == ("AAPL", "drift", 5)
    actual = aapl.set_index("date")["close"].loc[made.frame["date"]].to_numpy()
    assert row["mae"] == pytest.approx(abs(actual - made.frame["mean"].to_numpy()).mean())
    assert row["mase"] > 0 and 0 <= row["coverage_80"] <= row["coverage_95"] <= 1
    daily = realised_by_date(session)
    assert len(daily) == 5 and set(daily["n"]) == {1}
