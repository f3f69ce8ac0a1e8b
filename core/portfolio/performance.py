"""Performance figures from a valued history (pure: no database).

`daily_series` turns the value history (core.portfolio.valuation) and the benchmark's closes
into the daily returns every figure is made of. A day counts when the portfolio had money in
it at some point of the day; the benchmark's return counts on exactly those days, and only
when the portfolio had money in it at the day's start (a portfolio opened at the close earned
nothing that day, and neither does its benchmark). `report_period` then measures one period
(core.portfolio.periods) and `yearly_returns` each calendar year, both on those series.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.portfolio import returns as perf
from core.portfolio.analytics_schemas import PerformanceReport, SeriesPoint, YearReturn
from core.portfolio.periods import first_and_last

MONEY_EPSILON = 1e-9


@dataclass(frozen=True)
class DailySeries:
    history: pd.DataFrame  # value, inflow, inflow_close, outflow per calendar day
    returns: pd.Series  # the portfolio's daily returns on the days that count
    benchmark: pd.Series | None  # the benchmark's on the same days


def benchmark_daily_returns(closes: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Each column's return from the previous day of `days` (its last close on or before)."""
    levels = closes.reindex(closes.index.union(days)).sort_index().ffill()
    before = levels[levels.index < days[0]]
    base = (
        before.iloc[[-1]]
        if len(before)
        else pd.DataFrame(np.nan, index=[days[0] - pd.Timedelta(days=1)], columns=closes.columns)
    )
    stacked = pd.concat([base, levels.reindex(days)])
    return stacked.pct_change(fill_method=None).iloc[1:]


def daily_series(history: pd.DataFrame, benchmark_closes: pd.DataFrame | None) -> DailySeries:
    """The portfolio's daily returns and the benchmark's (equal-weight mean of the columns'
    returns, each column counted from its first close) on the days that count."""
    value, inflow, outflow = history["value"], history["inflow"], history["outflow"]
    daily = perf.daily_returns(value, inflow, outflow, 0.0, history["inflow_close"])
    counts = (value + outflow).to_numpy() > 0
    at_start = (value.shift(1).fillna(0.0) + inflow).to_numpy() > MONEY_EPSILON
    bench = None
    if benchmark_closes is not None and len(history):
        by_column = benchmark_daily_returns(benchmark_closes, history.index)
        bench = by_column.mean(axis=1, skipna=True).fillna(0.0).where(at_start, 0.0)[counts]
    return DailySeries(history=history, returns=daily[counts], benchmark=bench)


def _points(series: pd.Series) -> list[SeriesPoint]:
    return [SeriesPoint(date=day, value=float(v)) for day, v in zip(series.index.date, series.to_numpy(), strict=True)]


def report_period(
    series: DailySeries,
    *,
    period: str | None,
    start: dt.date | None,
    end: dt.date | None,
    benchmark: str | None,
    risk_free_rate: float = 0.0,
) -> PerformanceReport:
    """Every figure over the period's sessions (see core.portfolio.periods)."""
    bounds = first_and_last(series.returns.index, period=period, start=start, end=end)
    if bounds is None:
        return PerformanceReport(
            period=period, start=None, end=None, start_value=0.0, end_value=0.0, net_inflow=0.0, twr=None,
            xirr=None, volatility=None, max_drawdown=0.0, series=[], benchmark=benchmark,
        )  # fmt: skip
    first, last = bounds
    history = series.history
    before = history[history.index < first]
    base_value = float(before["value"].iloc[-1]) if len(before) else 0.0
    base_day = before.index[-1].date() if len(before) else None
    days = history[(history.index >= first) & (history.index <= last)]
    returns = series.returns[(series.returns.index >= first) & (series.returns.index <= last)]
    twr = perf.time_weighted_return(returns)
    report = PerformanceReport(
        period=period,
        start=first.date(),
        end=last.date(),
        sessions=len(returns),
        start_value=base_value,
        end_value=float(days["value"].iloc[-1]),
        net_inflow=float(days["inflow"].sum() + days["inflow_close"].sum() - days["outflow"].sum()),
        twr=twr,
        twr_annualised=perf.annualised_return(twr, len(returns)),
        xirr=perf.xirr(_xirr_flows(days, base_value, base_day)),
        volatility=perf.annualised_volatility(returns),
        downside_deviation=perf.downside_deviation(returns, risk_free_rate),
        max_drawdown=perf.max_drawdown(returns),
        sharpe=perf.sharpe_ratio(returns, risk_free_rate),
        sortino=perf.sortino_ratio(returns, risk_free_rate),
        series=_points(days["value"]),
        twr_series=_points(perf.growth_index(returns)),
        benchmark=benchmark,
    )
    if series.benchmark is not None:
        bench = series.benchmark[returns.index]
        report.benchmark_twr = perf.time_weighted_return(bench)
        report.benchmark_twr_annualised = perf.annualised_return(report.benchmark_twr, len(bench))
        report.benchmark_series = _points(perf.growth_index(bench))
        report.beta = perf.beta(returns, bench)
    return report


def yearly_returns(series: DailySeries) -> list[YearReturn]:
    """The portfolio's and the benchmark's return over each calendar year's sessions."""
    years = []
    for year, returns in series.returns.groupby(series.returns.index.year):
        bench = series.benchmark[returns.index] if series.benchmark is not None else None
        years.append(
            YearReturn(
                year=int(year),
                start=returns.index[0].date(),
                end=returns.index[-1].date(),
                twr=perf.time_weighted_return(returns),
                benchmark_twr=perf.time_weighted_return(bench) if bench is not None else None,
            )
        )
    return years


def _xirr_flows(days: pd.DataFrame, base_value: float, base_day: dt.date | None) -> list[tuple[dt.date, float]]:
    """The investor's flows: the value at the close before the period (as money paid in on
    that day), the period's flows, and the final value."""
    dates = list(days.index.date)
    net = (days["outflow"] - days["inflow"] - days["inflow_close"]).to_numpy()
    flows = [(day, float(amount)) for day, amount in zip(dates, net, strict=True) if amount]
    if base_value:
        flows.insert(0, (base_day or dates[0], -base_value))
    final_value = float(days["value"].iloc[-1])
    if final_value:
        flows.append((dates[-1], final_value))
    return flows
