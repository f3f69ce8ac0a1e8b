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


def test_realised_accuracy_by_month_pools_tickers_and_trailing_months(session):
    import datetime as dt

    import pandas as pd

    from core.db.tables import PredictionHistory, Role
    from core.forecasting.accuracy import realised_by_month
    from core.portfolio.alerts import add_to_watchlist
    from core.portfolio.schemas import WatchlistItemCreate
    from tests.factories import make_user
    from tests.forecasting_service.synthetic import synthetic_prices

    # Closes rising by exactly 1 a day: the naive scale is 1, so MASE = mean absolute error.
    dates = pd.bdate_range("2015-01-01", "2016-03-31")
    for ticker, start in (("LINA", 100.0), ("LINB", 40.0)):
        store_prices(session, synthetic_prices(ticker, pd.Series(start + pd.RangeIndex(len(dates)), index=dates)))
    someone = make_user(session)

    def row(ticker, target, predicted, realised, half80, half95, *, replayed=True, user=None):
        day = dt.date.fromisoformat(target)
        return PredictionHistory(
            ticker=ticker, model="ensemble", model_version="replay-x", origin_date=day - dt.timedelta(days=3),
            target_date=day, horizon_step=1, predicted_value=predicted, realised_value=realised,
            lo80=predicted - half80, hi80=predicted + half80, lo95=predicted - half95, hi95=predicted + half95,
            replayed=replayed, user_id=user,
        )  # fmt: skip

    session.add_all(
        [
            row("LINA", "2016-01-05", 100, 102, 1, 3),  # |e| 2: outside 80 %, inside 95 %
            row("LINA", "2016-02-03", 100, 101, 1.5, 3),  # |e| 1: inside both
            row("LINB", "2016-02-10", 50, 54, 1, 2),  # |e| 4: outside both
            row("LINA", "2016-01-06", 100, 110, 1, 2, replayed=False, user=someone.id),  # live: not replayed
        ]
    )
    session.flush()
    monthly = realised_by_month(session, replayed=True).set_index("month")
    assert list(monthly.index) == [dt.date(2016, 1, 1), dt.date(2016, 2, 1)]
    jan, feb = monthly.iloc[0], monthly.iloc[1]
    assert (jan["n"], jan["tickers"], jan["mase"], jan["coverage_80"], jan["coverage_95"]) == (1, 1, 2.0, 0.0, 1.0)
    assert (feb["n"], feb["tickers"], feb["mase"], feb["coverage_80"], feb["coverage_95"]) == (2, 2, 2.5, 0.5, 0.5)
    rolling = realised_by_month(session, replayed=True, window_months=2).set_index("month").iloc[1]
    assert rolling["n"] == 3 and rolling["mase"] == pytest.approx(7 / 3)
    assert rolling["coverage_80"] == pytest.approx(1 / 3) and rolling["coverage_95"] == pytest.approx(2 / 3)
    assert realised_by_month(session, replayed=True, ticker="LINB")["n"].tolist() == [1]
    # The live forecast belongs to its user; the replay's rows are shown for the tickers a user
    # trades, watches or has forecast (which tickers it covered would name what others hold); an
    # admin sees all.
    stranger = make_user(session)
    assert realised_by_month(session, visible_to=stranger)["n"].sum() == 0
    add_to_watchlist(session, owner=stranger, data=WatchlistItemCreate(ticker="LINA"))
    assert realised_by_month(session, visible_to=stranger)["n"].sum() == 2
    analyst = make_user(session, role=Role.ANALYST)
    session.add(row("LINB", "2016-01-07", 100, 110, 1, 2, replayed=False, user=analyst.id))
    session.flush()
    assert realised_by_month(session, visible_to=analyst)["n"].sum() == 2, "their own row and LINB's replay"
    admin = make_user(session, role=Role.ADMIN)
    assert realised_by_month(session, visible_to=admin)["n"].sum() == 3, "every shared row, no one's own"
