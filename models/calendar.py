"""Future trading days on the NYSE calendar, from `exchange-calendars` (XNYS).

The library maintains the exchange's rules (regular holidays, early closes) and its special
closures (national mourning, storms), and ships them: it works offline, for past and future
years alike. Forecast dates are trading sessions, never calendar days:
`next_trading_days(last, n)` is what every forecaster uses to date its predictions.
"""

from __future__ import annotations

from functools import lru_cache

import exchange_calendars
import numpy as np
import pandas as pd
from pandas.tseries.offsets import CustomBusinessDay

EXCHANGE = "XNYS"
FIRST_DAY, LAST_DAY = "1990-01-01", "2100-12-31"


@lru_cache(maxsize=1)
def nyse_sessions() -> pd.DatetimeIndex:
    """Every NYSE session from 1990 to 2100 (dates, no time zone)."""
    # Building the calendar over 110 years costs ~0.8 s: once per process.
    calendar = exchange_calendars.get_calendar(EXCHANGE, start=FIRST_DAY, end=LAST_DAY)
    return pd.DatetimeIndex(calendar.sessions.tz_localize(None).normalize(), name="date")


@lru_cache(maxsize=1)
def nyse_closures() -> pd.DatetimeIndex:
    """Every full-day NYSE closure on a weekday from 1990 to 2100."""
    return pd.bdate_range(FIRST_DAY, LAST_DAY).difference(nyse_sessions())


@lru_cache(maxsize=1)
def nyse_session() -> CustomBusinessDay:
    """A pandas offset stepping from one NYSE session to the next."""
    return CustomBusinessDay(holidays=nyse_closures())


def next_trading_days(last: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    """The `count` NYSE sessions strictly after `last` (a date, time of day ignored)."""
    sessions = nyse_sessions()
    first = int(sessions.searchsorted(pd.Timestamp(last).normalize(), side="right"))
    if first + count <= len(sessions):
        # A slice of the known sessions: what every forecast calls, 100x cheaper than date_range.
        return sessions[first : first + count]
    start = pd.Timestamp(last).normalize() + pd.Timedelta(days=1)
    return pd.date_range(start=start, periods=count, freq=nyse_session(), name="date")


def trading_days_between(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """NYSE sessions from `start` to `end`, both included when they are sessions."""
    return pd.date_range(
        start=pd.Timestamp(start).normalize(), end=pd.Timestamp(end).normalize(), freq=nyse_session(), name="date"
    )


def is_trading_day(dates: pd.DatetimeIndex) -> np.ndarray:
    """Boolean mask: which of `dates` are NYSE sessions."""
    days = pd.DatetimeIndex(dates).normalize()
    return (days.dayofweek < 5) & ~days.isin(nyse_closures())
