"""Income and costs over time: dividends, fee charges and trading commissions per month or year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.db.tables import TransactionType, User
from core.errors import InvalidInputError
from core.portfolio.activities import ledger_entries
from core.portfolio.analytics_schemas import IncomePeriod, IncomeReport
from core.portfolio.positions import LedgerEntry, cash_amount

FREQUENCIES = {"M", "Y"}


def _period(day: dt.date, freq: str) -> tuple[str, dt.date]:
    if freq == "Y":
        return f"{day.year}", dt.date(day.year, 1, 1)
    return f"{day.year}-{day.month:02d}", dt.date(day.year, day.month, 1)


def income_of(entries: list[LedgerEntry], freq: str = "M") -> IncomeReport:
    """Dividends (net of withholding), fee charges and commissions per period (pure)."""
    freq = freq.upper()
    if freq not in FREQUENCIES:
        raise InvalidInputError(f"unknown period {freq!r}: use M (months) or Y (years)")
    rows: dict[str, dict] = {}
    for entry in entries:
        kind = TransactionType(entry.type)
        label, start = _period(entry.date, freq)
        row = rows.setdefault(label, {"start": start, "dividends": 0.0, "fees": 0.0, "commissions": 0.0})
        if kind == TransactionType.DIVIDEND:
            row["dividends"] += cash_amount(entry)
        elif kind == TransactionType.FEE:
            row["fees"] += cash_amount(entry)
        elif kind in (TransactionType.BUY, TransactionType.SELL):
            row["commissions"] += entry.fee
    periods = [
        IncomePeriod(period=label, net=r["dividends"] - r["fees"] - r["commissions"], **r)
        for label, r in sorted(rows.items())
        if r["dividends"] or r["fees"] or r["commissions"]
    ]
    totals = {name: sum(getattr(p, name) for p in periods) for name in ("dividends", "fees", "commissions")}
    return IncomeReport(
        freq=freq, periods=periods, net=totals["dividends"] - totals["fees"] - totals["commissions"], **totals
    )


def income_by_period(session: Session, *, owner: User, freq: str = "M") -> IncomeReport:
    """The owner's dividends and fees per month (`freq="M"`) or year (`"Y"`), with totals."""
    return income_of(ledger_entries(session, owner=owner), freq)
