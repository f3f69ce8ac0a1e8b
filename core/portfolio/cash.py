"""The portfolio's cash balance, from the ledger (rules in core.portfolio.positions)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.tables import TransactionType, User
from core.portfolio.analytics_schemas import CashBalance
from core.portfolio.ledger_rows import cash_of_totals, ledger_entries
from core.portfolio.positions import LedgerEntry, cash_amount, has_deposits


def summarize_cash(entries: list[LedgerEntry]) -> CashBalance:
    """The balance and its parts (pure: any ledger entries)."""
    totals = {kind: 0.0 for kind in TransactionType}
    for entry in entries:
        totals[TransactionType(entry.type)] += cash_amount(entry)
    return cash_of_totals(totals, tracked=has_deposits(entries))


def cash_balance(session: Session, *, owner: User) -> CashBalance:
    """The owner's cash: deposits, withdrawals, sale proceeds, dividends and fees; buys draw it
    down. Negative only while no deposit is recorded (then it is minus the money put in)."""
    return summarize_cash(ledger_entries(session, owner=owner))
