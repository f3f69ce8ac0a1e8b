"""The demo portfolio's figures against independent libraries (empyrical-reloaded,
quantstats, pyxirr), computed from the daily returns the app reports, to six digits."""

from __future__ import annotations

import empyrical
import pandas as pd
import pytest
import quantstats
from pyxirr import xirr as reference_xirr

from core.demo import seed_demo
from core.market.repository import read_closes
from core.portfolio.activities import ledger_entries
from core.portfolio.analytics import measure_performance
from core.portfolio.valuation import entries_frame, value_history


def _daily_returns(report) -> pd.Series:
    """The daily returns behind the report, recovered from its growth-of-100 series."""
    growth = pd.Series([p.value for p in report.twr_series], index=pd.to_datetime([p.date for p in report.twr_series]))
    return growth / growth.shift(1, fill_value=100.0) - 1.0


def test_demo_figures_match_empyrical_quantstats_and_pyxirr(session, settings):
    user = seed_demo(session, settings=settings)
    report = measure_performance(session, owner=user, benchmark="EQUAL_WEIGHT")
    returns = _daily_returns(report)
    assert report.sessions == len(returns)

    assert report.sortino == pytest.approx(1.0967087, abs=1e-6)  # the figure issue 23 quotes
    assert report.sortino == pytest.approx(empyrical.sortino_ratio(returns), rel=1e-6)
    assert report.sortino == pytest.approx(quantstats.stats.sortino(returns), rel=1e-6)
    assert report.downside_deviation == pytest.approx(empyrical.downside_risk(returns), rel=1e-6)
    assert report.sharpe == pytest.approx(empyrical.sharpe_ratio(returns), rel=1e-6)
    assert report.volatility == pytest.approx(empyrical.annual_volatility(returns), rel=1e-6)
    assert report.max_drawdown == pytest.approx(empyrical.max_drawdown(returns), rel=1e-6)
    assert report.twr == pytest.approx(quantstats.stats.comp(returns), rel=1e-6)
    # 252 sessions a year, as empyrical annualises (its annual_return is our twr_annualised).
    assert report.twr_annualised == pytest.approx(empyrical.annual_return(returns), rel=1e-6)
    bench = _daily_returns(report.model_copy(update={"twr_series": report.benchmark_series}))
    assert report.beta == pytest.approx(empyrical.beta(returns, bench), rel=1e-6)

    entries = ledger_entries(session, owner=user)
    frame = entries_frame(entries)
    history = value_history(frame, read_closes(session, [t for t in frame["ticker"].unique() if t]))
    flows = history["outflow"] - history["inflow"] - history["inflow_close"]
    flows.iloc[-1] += history["value"].iloc[-1]
    flows = flows[flows != 0]
    assert report.xirr == pytest.approx(reference_xirr(flows.index.date, flows.to_numpy()), rel=1e-6)
