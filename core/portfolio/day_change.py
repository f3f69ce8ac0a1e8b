"""Day change, as Portfolio Performance and Ghostfolio define it (pure functions).

For each ticker, "today" is its last stored session and "yesterday" the one before:

    day change = value today − value at yesterday's close of what was held then − today's net flows

where today's net flows are the money put into the ticker after yesterday's close (buys with
their fees, fee charges) minus the money taken out (sale proceeds net of fees, dividends).
So a buy or a sale at today's close changes nothing (the shares' value and the money match),
a commission is a loss of today, and a position sold down to zero today still counts in the
portfolio's total. The percentage divides by what was at risk during the day: yesterday's
value plus money put in before the close (money put in at the close earns nothing that day
and dilutes nothing, as in core.portfolio.returns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.db.tables import TransactionType
from core.portfolio.positions import EPSILON, LedgerEntry, cash_amount

AT_CLOSE_TOLERANCE = 0.005  # half a cent: a trade at this price is a trade at the close
_PUT_IN = {TransactionType.BUY, TransactionType.FEE}
_TAKEN_OUT = {TransactionType.SELL, TransactionType.DIVIDEND}

Bars = list[tuple[dt.date, float]]  # newest first: (today, close), (yesterday, close)


@dataclass(frozen=True)
class DayChange:
    change: float
    at_risk: float  # what the percentage divides by

    @property
    def percent(self) -> float | None:
        return self.change / self.at_risk if self.at_risk > EPSILON else None


def ticker_day_change(quantity_now: float, bars: Bars, entries: list[LedgerEntry]) -> DayChange:
    """The day change of one ticker held `quantity_now` shares after `entries` (its own, any order)."""
    if not bars:
        return DayChange(0.0, 0.0)
    today, close_today = bars[0]
    yesterday, close_yesterday = bars[1] if len(bars) > 1 else (None, 0.0)
    recent = [entry for entry in entries if yesterday is None or entry.date > yesterday]
    bought = sum(entry.quantity for entry in recent if entry.type == TransactionType.BUY)
    sold = sum(entry.quantity for entry in recent if entry.type == TransactionType.SELL)
    held_yesterday = max(quantity_now - bought + sold, 0.0) if yesterday is not None else 0.0
    put_in = sum(cash_amount(entry) for entry in recent if entry.type in _PUT_IN)
    taken_out = sum(cash_amount(entry) for entry in recent if entry.type in _TAKEN_OUT)
    at_close = sum(
        cash_amount(entry)
        for entry in recent
        if entry.type == TransactionType.BUY
        and entry.date == today
        and abs(entry.price - close_today) < AT_CLOSE_TOLERANCE
    )
    value_yesterday = held_yesterday * close_yesterday
    change = quantity_now * close_today - value_yesterday - (put_in - taken_out)
    at_risk = value_yesterday + put_in - at_close
    if at_risk <= EPSILON:  # opened today at the close: all of it, for a 0 % day
        at_risk = value_yesterday + put_in
    return DayChange(change, at_risk)


def total_day_change(changes: list[DayChange]) -> DayChange:
    return DayChange(sum(c.change for c in changes), sum(c.at_risk for c in changes))
