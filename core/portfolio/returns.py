"""Performance math as small pure functions over daily series (numpy/pandas, no database).

Conventions: a day's external cash flows are split into money put in (`inflow`: deposits,
or without deposits buys with their fees and fee charges) and money taken out (`outflow`:
withdrawals, or sale proceeds and dividends). Inflows count at the start of the day,
outflows at its end; money put in at the close (`inflow_close`: a buy at the closing price)
counts at the end, so it earns nothing that day and dilutes nothing. The daily return is

    r_t = (V_t + outflow_t − inflow_close_t) / (V_{t-1} + inflow_t) − 1

except on a day that opens the portfolio (V_{t-1} = 0), where all money put in counts from
the start (there is nothing else to earn a return on).

and the time-weighted return links them: TWR = Π(1 + r_t) − 1. Annualisation follows
core.market.annualisation, the one convention of the product (252 sessions a year; XIRR
alone counts actual/365 days). Sharpe, Sortino and downside deviation are empyrical's and
quantstats' definitions, checked against both in the tests.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from core.market.annualisation import TRADING_DAYS_PER_YEAR as TRADING_DAYS
from core.market.annualisation import annualised_return, annualised_volatility

__all__ = [
    "TRADING_DAYS",
    "annualised_return",
    "annualised_volatility",
    "beta",
    "daily_returns",
    "downside_deviation",
    "growth_index",
    "max_drawdown",
    "sharpe_ratio",
    "sortino_ratio",
    "time_weighted_return",
    "xirr",
]


def daily_returns(
    value: pd.Series,
    inflow: pd.Series,
    outflow: pd.Series,
    previous_value: float = 0.0,
    inflow_close: pd.Series | None = None,
) -> pd.Series:
    """Cash-flow adjusted daily returns; 0 on days with nothing invested."""
    previous = value.shift(1).fillna(previous_value).to_numpy()
    at_close = np.zeros(len(value)) if inflow_close is None else inflow_close.to_numpy()
    opening = previous <= 1e-9
    before = previous + inflow.to_numpy() + np.where(opening, at_close, 0.0)
    after = value.to_numpy() + outflow.to_numpy() - np.where(opening, 0.0, at_close)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.where(before > 1e-9, after / before - 1.0, 0.0)
    return pd.Series(returns, index=value.index)


def time_weighted_return(returns: pd.Series) -> float:
    return float(np.prod(1.0 + returns.to_numpy()) - 1.0)


def growth_index(returns: pd.Series, base: float = 100.0) -> pd.Series:
    return base * (1.0 + returns).cumprod()


def max_drawdown(returns: pd.Series) -> float:
    """The deepest fall from a running peak of the growth index, as a fraction ≤ 0."""
    if returns.empty:
        return 0.0
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    return float(np.min(wealth / np.maximum.accumulate(wealth) - 1.0))


def sharpe_ratio(returns: pd.Series, risk_free_rate: float = 0.0) -> float | None:
    """Annualised Sharpe ratio of daily returns against a yearly risk-free rate."""
    if len(returns) < 2:
        return None
    excess = returns - risk_free_rate / TRADING_DAYS
    deviation = excess.std(ddof=1)
    if not deviation or not np.isfinite(deviation):
        return None
    return float(excess.mean() / deviation * math.sqrt(TRADING_DAYS))


def downside_deviation(returns: pd.Series, risk_free_rate: float = 0.0) -> float | None:
    """Annualised downside deviation below the daily risk-free rate: √252 × the root mean
    square of min(r − rf, 0) over every day (days above the target count as zero)."""
    if len(returns) < 2:
        return None
    shortfall = np.minimum(returns.to_numpy() - risk_free_rate / TRADING_DAYS, 0.0)
    return float(np.sqrt(np.mean(shortfall**2)) * math.sqrt(TRADING_DAYS))


def sortino_ratio(returns: pd.Series, risk_free_rate: float = 0.0) -> float | None:
    """The mean daily excess return × 252 over the downside deviation; None without any
    day below the target."""
    deviation = downside_deviation(returns, risk_free_rate)
    if not deviation or not np.isfinite(deviation):
        return None
    excess = returns.to_numpy() - risk_free_rate / TRADING_DAYS
    return float(np.mean(excess) * TRADING_DAYS / deviation)


def beta(returns: pd.Series, benchmark_returns: pd.Series) -> float | None:
    """Slope of the portfolio's daily returns on the benchmark's (same dates only)."""
    joined = pd.concat([returns, benchmark_returns], axis=1, join="inner").dropna()
    if len(joined) < 2:
        return None
    variance = joined.iloc[:, 1].var(ddof=1)
    if not variance:
        return None
    return float(joined.iloc[:, 0].cov(joined.iloc[:, 1]) / variance)


def npv(rate: float, amounts: np.ndarray, years: np.ndarray) -> float:
    return float(np.sum(amounts / np.power(1.0 + rate, years)))


def xirr(flows: list[tuple[dt.date, float]]) -> float | None:
    """Money-weighted annual return: the rate making the flows' NPV zero (investor's view:
    money paid in is negative, money received and the final value are positive).

    Solved with scipy's bracketed root finder (brentq); None when no rate solves it.
    """
    flows = [(date, amount) for date, amount in flows if amount]
    if len(flows) < 2:
        return None
    amounts = np.array([amount for _, amount in flows], dtype=float)
    if not (amounts.min() < 0 < amounts.max()):
        return None
    first = min(date for date, _ in flows)
    years = np.array([(date - first).days / 365.0 for date, _ in flows])
    low, high = -0.999999, 1.0
    f_low = npv(low, amounts, years)
    while npv(high, amounts, years) * f_low > 0:
        high *= 4.0
        if high > 1e6:
            return None
    return float(brentq(npv, low, high, args=(amounts, years), xtol=1e-12, maxiter=200))
