"""Facts about one ticker's prices, and the number formats every chat text uses.

Returns are simple returns over a number of sessions; volatility is the annualised standard
deviation of daily log returns over the last year (252 sessions).
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SESSIONS_PER_YEAR = 252
RETURN_WINDOWS = {"1 month": 21, "3 months": 63, "1 year": 252}


@dataclass(frozen=True)
class TickerFacts:
    last_close: float
    last_date: dt.date
    returns: dict[str, float]  # window label → simple return (fraction), windows with enough history only
    volatility: float | None  # annualised, fraction


def compute_ticker_facts(close: pd.Series) -> TickerFacts | None:
    """Facts from a date-indexed close series (ascending); None when it is empty."""
    close = close.dropna()
    if close.empty:
        return None
    returns = {
        label: float(close.iloc[-1] / close.iloc[-1 - sessions] - 1)
        for label, sessions in RETURN_WINDOWS.items()
        if len(close) > sessions and close.iloc[-1 - sessions] > 0
    }
    log_returns = np.diff(np.log(close.to_numpy(dtype=float)[-(SESSIONS_PER_YEAR + 1) :]))
    volatility = float(np.std(log_returns, ddof=1) * math.sqrt(SESSIONS_PER_YEAR)) if len(log_returns) > 1 else None
    last_date = close.index[-1]
    return TickerFacts(
        last_close=float(close.iloc[-1]),
        last_date=last_date.date() if hasattr(last_date, "date") else last_date,
        returns=returns,
        volatility=volatility,
    )


def money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def signed_money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+,.2f}"


def percent(fraction: float | None, *, signed: bool = False) -> str:
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "n/a"
    return f"{fraction:+.2%}" if signed else f"{fraction:.2%}"


def optional_service(module: str, name: str) -> Callable[..., Any] | None:
    """Another area's service when its module exists in this build, else None.

    The chat reads many areas (analytics, forecasting, tracking); a missing one removes the
    facts it would give rather than the whole chat.
    """
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
