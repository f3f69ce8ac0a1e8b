"""One definition of a period, for the portfolio, its benchmark and every ratio.

A period is a first and a last session, both inclusive: its figures are made of the daily
returns of exactly those sessions, so its return runs from the close *before* the first
session to the close of the last (the calendar year 2016 is 2015-12-31's close → 2016-12-30's
close, as every index provider counts it). The portfolio and the benchmark are measured over
the same sessions, and a period never starts before the portfolio has money in it.

Which sessions a name means, counted back from the last session on or before `end`:
- `1M`, `3M`, `1Y`, `3Y`: the sessions after the same date 1/3 months or 1/3 years earlier
  (1Y ending 2016-12-30 starts on the first session after 2015-12-30);
- `YTD`: the sessions of the last session's calendar year;
- `2016` (any year): the sessions of that calendar year (up to `end`);
- `ALL` (the default): since inception;
- custom: `start` and/or `end` dates, the first session on or after `start` to the last on
  or before `end`.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from core.errors import InvalidInputError

RELATIVE = {"1M": pd.DateOffset(months=1), "3M": pd.DateOffset(months=3), "1Y": pd.DateOffset(years=1)}
RELATIVE["3Y"] = pd.DateOffset(years=3)
PRESETS = ("1M", "3M", "YTD", "1Y", "3Y", "ALL")
# Any case, as the core accepts it (written without inline flags: JSON Schema readers differ).
PERIOD_PATTERN = r"^([13][mMyY]|[yY][tT][dD]|[aA][lL][lL]|\d{4})$"


def normalise_period(period: str | None, start: dt.date | None) -> str | None:
    """The period's canonical name (upper case), None for custom dates; refuses unknown names
    and a name given together with a start date."""
    if period is None or not period.strip():
        return None
    name = period.strip().upper()
    if not re.match(PERIOD_PATTERN, name):
        raise InvalidInputError(
            f"unknown period {period!r}: use {', '.join(PRESETS)}, a calendar year such as 2016, or start/end dates"
        )
    if start is not None and name != "ALL":
        raise InvalidInputError(f"give either the period {name} or a start date, not both")
    return name


def first_and_last(
    sessions: pd.DatetimeIndex, *, period: str | None, start: dt.date | None, end: dt.date | None
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last session of the period among `sessions` (ascending), or None when
    the period holds none of them. `sessions` are the days the portfolio has money in."""
    if end is not None:
        sessions = sessions[sessions <= pd.Timestamp(end)]
    if period is not None and period.isdigit():
        year = int(period)
        sessions = sessions[(sessions >= pd.Timestamp(year, 1, 1)) & (sessions <= pd.Timestamp(year, 12, 31))]
    if sessions.empty:
        return None
    last = sessions[-1]
    if period in RELATIVE:
        sessions = sessions[sessions > last - RELATIVE[period]]
    elif period == "YTD":
        sessions = sessions[sessions >= pd.Timestamp(last.year, 1, 1)]
    elif start is not None:
        sessions = sessions[sessions >= pd.Timestamp(start)]
    if sessions.empty:
        return None
    return sessions[0], last
