"""Future trading days on the NYSE calendar (regular holidays plus known special closures).

Built on pandas holiday rules so that no extra dependency is needed. Forecast dates are
trading sessions, never calendar days: `next_trading_days(last, n)` is what every
forecaster uses to date its predictions.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)
from pandas.tseries.offsets import CustomBusinessDay

# Closures no rule predicts (national mourning, storms, 9/11); NYSE's own list since 2000.
SPECIAL_CLOSURES = pd.to_datetime(
    [
        "2001-09-11",
        "2001-09-12",
        "2001-09-13",
        "2001-09-14",
        "2004-06-11",
        "2007-01-02",
        "2012-10-29",
        "2012-10-30",
        "2018-12-05",
        "2025-01-09",
    ]
)


class NYSEHolidayCalendar(AbstractHolidayCalendar):
    """Regular NYSE holidays. New Year on a Saturday is not moved to Friday (NYSE rule)."""

    rules = [
        Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25, observance=nearest_workday),
    ]


@lru_cache(maxsize=1)
def nyse_closures() -> pd.DatetimeIndex:
    """Every full-day NYSE closure on a weekday from 1990 to 2100."""
    regular = NYSEHolidayCalendar().holidays(start="1990-01-01", end="2100-12-31")
    return regular.union(SPECIAL_CLOSURES)


@lru_cache(maxsize=1)
def nyse_session() -> CustomBusinessDay:
    """A pandas offset stepping from one NYSE session to the next."""
    return CustomBusinessDay(holidays=nyse_closures())


def next_trading_days(last: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    """The `count` NYSE sessions strictly after `last` (a date, time of day ignored)."""
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
