"""Performance math against hand-computed cases (no database).

The tiny fixture: one ticker closing 100, 110, 99, 121 on four days; buy 10 @ 100 on day 1,
buy 10 @ 99 on day 3, sell 5 @ 121 on day 4 (every trade at that day's close). By hand:
    values      1000, 1100, 1980, 1815
    returns     r1 = 1000/(0+1000) − 1 = 0          (the opening buy counts from the start)
                r2 = 1100/1000 − 1 = 0.1
                r3 = (1980−990)/1100 − 1 = −0.1     (the day-3 buy at the close counts at the close)
                r4 = (1815+605)/1980 − 1            (the day-4 sale counts at the end of the day)
    TWR = 1.1 × 0.9 × 2420/1980 − 1 = 0.21, the stock's own 100 → 121, as a one-stock portfolio
    traded at its closes must give; drawdown: peak 1.1 after day 2, trough 0.99 → −0.1.
With the day-3 buy at 100 instead (not the close), its money counts from the start of the day:
    values 1000, 1100, 1980, 1815; r3 = 1980/(1100+1000) − 1; r4 as above.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from core.db.tables import TransactionType
from core.errors import InvalidInputError
from core.portfolio import returns as perf
from core.portfolio.positions import replay_ledger
from core.portfolio.valuation import entries_frame, value_history

DAYS = pd.to_datetime(["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09"])


@dataclass
class Entry:
    date: dt.date
    ticker: str
    type: TransactionType
    quantity: float
    price: float
    fee: float = 0.0


def _fixture():
    entries = [
        Entry(dt.date(2020, 1, 6), "X", TransactionType.BUY, 10, 100),
        Entry(dt.date(2020, 1, 8), "X", TransactionType.BUY, 10, 99),
        Entry(dt.date(2020, 1, 9), "X", TransactionType.SELL, 5, 121),
    ]
    closes = pd.DataFrame({"X": [100.0, 110.0, 99.0, 121.0]}, index=DAYS)
    return entries, closes


def _daily(history):
    return perf.daily_returns(
        history["value"], history["inflow"], history["outflow"], inflow_close=history["inflow_close"]
    )


def test_value_history_and_flows():
    entries, closes = _fixture()
    history = value_history(entries_frame(entries), closes)
    assert history["value"].tolist() == [1000.0, 1100.0, 1980.0, 1815.0]
    # Buys at the day's close are money put in at the close.
    assert history["inflow"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert history["inflow_close"].tolist() == [1000.0, 0.0, 990.0, 0.0]
    assert history["outflow"].tolist() == [0.0, 0.0, 0.0, 605.0]


def test_hand_computed_twr_and_drawdown():
    entries, closes = _fixture()
    daily = _daily(value_history(entries_frame(entries), closes))
    assert daily.tolist() == pytest.approx([0.0, 0.1, -0.1, 2420 / 1980 - 1])
    assert perf.time_weighted_return(daily) == pytest.approx(121 / 100 - 1)
    assert perf.max_drawdown(daily) == pytest.approx(0.99 / 1.1 - 1)
    assert perf.growth_index(daily).iloc[-1] == pytest.approx(121.0)


def test_a_buy_away_from_the_close_counts_from_the_start_of_the_day():
    entries, closes = _fixture()
    entries[1].price = 100.0
    history = value_history(entries_frame(entries), closes)
    assert history["inflow"].tolist() == [0.0, 0.0, 1000.0, 0.0]
    daily = _daily(history)
    assert daily.tolist() == pytest.approx([0.0, 0.1, 1980 / 2100 - 1, 2420 / 1980 - 1])
    assert perf.time_weighted_return(daily) == pytest.approx(1.1 * 1980 / 2100 * 2420 / 1980 - 1)


def test_hand_computed_xirr():
    # −1000 now, +1100 in exactly 365 days: 10 % a year.
    assert perf.xirr([(dt.date(2021, 1, 1), -1000.0), (dt.date(2022, 1, 1), 1100.0)]) == pytest.approx(0.10)
    # −1000, −1000 a year later, +2310 two years in: 1000x² + 1000x = 2310 → x = 1.1.
    flows = [(dt.date(2021, 1, 1), -1000.0), (dt.date(2022, 1, 1), -1000.0), (dt.date(2023, 1, 1), 2310.0)]
    assert perf.xirr(flows) == pytest.approx(0.10, abs=1e-9)
    # A loss, and the degenerate cases.
    assert perf.xirr([(dt.date(2021, 1, 1), -1000.0), (dt.date(2022, 1, 1), 500.0)]) == pytest.approx(-0.5)
    assert perf.xirr([(dt.date(2021, 1, 1), -1000.0)]) is None
    assert perf.xirr([(dt.date(2021, 1, 1), 10.0), (dt.date(2022, 1, 1), 10.0)]) is None


def test_drawdown_of_a_known_path():
    daily = pd.Series([0.10, -0.20, 0.05, -0.10, 0.50])
    # Peak 1.1, then 0.88, 0.924, 0.8316 → deepest 0.8316/1.1 − 1 = −0.244.
    assert perf.max_drawdown(daily) == pytest.approx(0.8316 / 1.1 - 1)
    assert perf.max_drawdown(pd.Series([0.01, 0.02])) == 0.0


def test_risk_figures():
    benchmark = pd.Series([0.01, -0.02, 0.015, 0.003, -0.007])
    portfolio = 2 * benchmark
    assert perf.beta(portfolio, benchmark) == pytest.approx(2.0)
    expected_vol = float(np.std(portfolio, ddof=1) * math.sqrt(252))
    assert perf.annualised_volatility(portfolio) == pytest.approx(expected_vol)
    sharpe = float(portfolio.mean() / portfolio.std(ddof=1) * math.sqrt(252))
    assert perf.sharpe_ratio(portfolio) == pytest.approx(sharpe)
    assert perf.sharpe_ratio(pd.Series([0.01, 0.01, 0.01])) is None
    assert perf.annualised_volatility(pd.Series([0.01])) is None


def test_average_cost_replay():
    entries = [
        Entry(dt.date(2020, 1, 1), "X", TransactionType.BUY, 10, 100, fee=10),  # cost 1010
        Entry(dt.date(2020, 2, 1), "X", TransactionType.BUY, 10, 120),  # cost 2210, avg 110.5
        Entry(dt.date(2020, 3, 1), "X", TransactionType.SELL, 5, 130, fee=5),  # +645 − 552.5 = 92.5
        Entry(dt.date(2020, 3, 2), "X", TransactionType.DIVIDEND, 15, 1.0),  # +15
        Entry(dt.date(2020, 3, 3), "X", TransactionType.FEE, 0, 0, fee=2.5),  # −2.5
    ]
    position = replay_ledger(entries)["X"]
    assert position.quantity == 15
    assert position.cost_basis == pytest.approx(2210 - 552.5)
    assert position.avg_cost == pytest.approx(110.5)
    assert position.realized_pnl == pytest.approx(92.5 + 15 - 2.5)
    assert position.dividends == 15 and position.fees == 2.5


def test_overselling_is_refused_with_the_date():
    entries = [
        Entry(dt.date(2020, 1, 1), "X", TransactionType.BUY, 10, 100),
        Entry(dt.date(2019, 12, 1), "X", TransactionType.SELL, 1, 100),
    ]
    with pytest.raises(InvalidInputError, match="only 0 held"):
        replay_ledger(entries)
