"""The annualisation convention, stated once and used by every figure of the product.

A year is 252 trading sessions. Figures computed from daily returns are annualised over
sessions, never calendar days:

- volatility: the sample standard deviation (ddof=1) of simple daily returns × √252 (the
  portfolio's, the benchmark's and a ticker's on the Stock page alike);
- a return over n sessions: (1 + R) ** (252 / n) − 1, and only over a period of at least
  252 sessions (a shorter period's return is shown as it is, never blown up to a year);
- Sharpe and Sortino: the mean daily excess return × 252, over the annualised standard or
  downside deviation (see core.portfolio.returns).

The one exception is XIRR, a money-weighted rate whose cash flows fall on calendar dates: it
counts actual/365 days between flows, as spreadsheets and pyxirr define it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TRADING_DAYS_PER_YEAR = 252


def annualised_volatility(daily_returns: pd.Series) -> float | None:
    """√252 × the sample standard deviation of simple daily returns; None under two returns."""
    values = np.asarray(daily_returns, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    return float(np.std(values, ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR))


def annualised_return(total_return: float | None, sessions: int) -> float | None:
    """`total_return` earned over `sessions` daily returns, as a yearly rate; None for a
    period shorter than a year of sessions."""
    if total_return is None or sessions < TRADING_DAYS_PER_YEAR or total_return <= -1.0:
        return None
    return float((1.0 + total_return) ** (TRADING_DAYS_PER_YEAR / sessions) - 1.0)
