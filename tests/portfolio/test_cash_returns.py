"""TWR and XIRR with external flows (deposits and withdrawals), against hand computations
and against the peer formulas: the sub-period method for TWR, and the spreadsheet XIRR
definition (Σ P_i / (1 + r)^((d_i − d_0)/365) = 0) solved independently by bisection.

The case: one ticker closing 100, 104, 101, 106, 103, 110 on six dates half a year apart.
    d0 deposit 10,000, buy 50 @ 100 (cash 5,000)         value 10,000
    d1                                                  value 50 × 104 + 5,000 = 10,200
    d2 deposit 5,000, buy 40 @ 101 (cash 5,960)          value 90 × 101 + 5,960 = 15,050
    d3                                                  value 90 × 106 + 5,960 = 15,500
    d4 withdrawal 3,000 (cash 2,960)                    value 90 × 103 + 2,960 = 12,230
    d5                                                  value 90 × 110 + 2,960 = 12,860
Sub-periods between the flows, each valued just before the next one:
    10,000 → 10,200 (before the d2 deposit); 15,200 → 15,230 (d4, before the withdrawal);
    12,230 → 12,860.  TWR = 1.02 × 15,230/15,200 × 12,860/12,230 − 1.
XIRR flows (investor's view): −10,000 at d0, −5,000 at d2, +3,000 at d4, +12,860 at d5.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core.db.tables import TransactionType
from core.portfolio import returns as perf
from core.portfolio.valuation import entries_frame, value_history
from tests.factories import LedgerEntry

DATES = [dt.date(2020, 1, 2), dt.date(2020, 7, 1), dt.date(2021, 1, 4), dt.date(2021, 7, 1), dt.date(2022, 1, 3)]
DATES.append(dt.date(2022, 7, 1))
CLOSES = [100.0, 104.0, 101.0, 106.0, 103.0, 110.0]


def _history():
    d = DATES
    entries = [
        LedgerEntry(d[0], None, TransactionType.DEPOSIT, amount=10_000),
        LedgerEntry(d[0], "X", TransactionType.BUY, 50, 100),
        LedgerEntry(d[2], None, TransactionType.DEPOSIT, amount=5_000),
        LedgerEntry(d[2], "X", TransactionType.BUY, 40, 101),
        LedgerEntry(d[4], None, TransactionType.WITHDRAWAL, amount=3_000),
    ]
    closes = pd.DataFrame({"X": CLOSES}, index=pd.to_datetime(DATES))
    return value_history(entries_frame(entries), closes)


def spreadsheet_xirr(flows: list[tuple[dt.date, float]]) -> float:
    """The peer definition, solved by plain bisection (independent of the product's solver)."""
    start = flows[0][0]

    def npv(rate: float) -> float:
        return sum(amount / (1 + rate) ** ((day - start).days / 365) for day, amount in flows)

    low, high = -0.99, 10.0
    for _ in range(200):
        middle = (low + high) / 2
        if npv(low) * npv(middle) <= 0:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def test_values_and_external_flows():
    history = _history()
    assert history["value"].tolist() == pytest.approx([10_000, 10_200, 15_050, 15_500, 12_230, 12_860])
    assert history["inflow"].tolist() == [10_000, 0, 5_000, 0, 0, 0]
    assert history["outflow"].tolist() == [0, 0, 0, 0, 3_000, 0]
    assert history["inflow_close"].tolist() == [0.0] * 6  # buys move cash inside the portfolio


def test_twr_equals_the_sub_period_method():
    history = _history()
    daily = perf.daily_returns(history["value"], history["inflow"], history["outflow"], 0.0, history["inflow_close"])
    expected = 1.02 * 15_230 / 15_200 * 12_860 / 12_230 - 1
    assert perf.time_weighted_return(daily) == pytest.approx(expected, rel=1e-12)


def test_xirr_equals_the_spreadsheet_definition():
    d = DATES
    flows = [(d[0], -10_000.0), (d[2], -5_000.0), (d[4], 3_000.0), (d[5], 12_860.0)]
    assert perf.xirr(flows) == pytest.approx(spreadsheet_xirr(flows), abs=1e-9)
    # The flows the analytics build from the history are the same ones.
    history = _history()
    net = history["outflow"] - history["inflow"] - history["inflow_close"]
    built = [(day.date(), float(v)) for day, v in net.items() if v] + [(d[5], float(history["value"].iloc[-1]))]
    assert perf.xirr(built) == pytest.approx(spreadsheet_xirr(flows), abs=1e-9)


def test_xirr_matches_the_spreadsheet_documentation_example():
    # The XIRR example of the common spreadsheet documentation: 0.373362535 (37.34 %).
    flows = [
        (dt.date(2008, 1, 1), -10_000.0),
        (dt.date(2008, 3, 1), 2_750.0),
        (dt.date(2008, 10, 30), 4_250.0),
        (dt.date(2009, 2, 15), 3_250.0),
        (dt.date(2009, 4, 1), 2_750.0),
    ]
    assert perf.xirr(flows) == pytest.approx(0.373362535, abs=1e-8)
    assert spreadsheet_xirr(flows) == pytest.approx(0.373362535, abs=1e-8)
