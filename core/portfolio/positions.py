"""Replaying a ledger into positions (average-cost method): pure functions, no database.

Average cost: a buy adds `quantity × price + fee` to the cost basis; a sell removes the
average cost of the shares sold and realises `proceeds − fee − that cost`; dividends add
to realised P&L, fee transactions subtract from it. Within a day, entries are replayed in
the order buy, dividend, fee, sell (so a same-day buy covers a same-day sell).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from core.db.tables import TransactionType
from core.errors import InvalidInputError

EPSILON = 1e-9
TYPE_ORDER = {TransactionType.BUY: 0, TransactionType.DIVIDEND: 1, TransactionType.FEE: 2, TransactionType.SELL: 3}


class LedgerEntry(Protocol):
    date: dt.date
    ticker: str
    type: TransactionType
    quantity: float
    price: float
    fee: float


@dataclass
class Position:
    ticker: str
    quantity: float = 0.0
    cost_basis: float = 0.0
    realized_pnl: float = 0.0
    dividends: float = 0.0
    fees: float = 0.0
    opened_at: dt.date | None = None

    @property
    def avg_cost(self) -> float:
        return self.cost_basis / self.quantity if self.quantity > EPSILON else 0.0


def cash_amount(entry: LedgerEntry) -> float:
    """The money the entry moves: paid for a buy/fee, received for a sell/dividend (always >= 0)."""
    gross = entry.quantity * entry.price
    kind = TransactionType(entry.type)
    if kind == TransactionType.BUY:
        return gross + entry.fee
    if kind == TransactionType.SELL:
        return gross - entry.fee
    if kind == TransactionType.DIVIDEND:
        return (gross if entry.quantity > 0 else entry.price) - entry.fee
    return entry.fee + gross


def sort_key(entry: LedgerEntry) -> tuple:
    return (entry.date, TYPE_ORDER[TransactionType(entry.type)], getattr(entry, "id", 0) or 0)


def apply_entry(position: Position, entry: LedgerEntry) -> None:
    """Apply one entry in place; InvalidInputError when it sells more than is held."""
    kind = TransactionType(entry.type)
    if kind == TransactionType.BUY:
        if position.quantity <= EPSILON:
            position.opened_at = entry.date
        position.quantity += entry.quantity
        position.cost_basis += cash_amount(entry)
    elif kind == TransactionType.SELL:
        if entry.quantity > position.quantity + EPSILON:
            raise InvalidInputError(
                f"cannot sell {entry.quantity:g} {position.ticker} on {entry.date}: "
                f"only {position.quantity:g} held then"
            )
        sold_cost = position.avg_cost * entry.quantity
        position.realized_pnl += cash_amount(entry) - sold_cost
        position.cost_basis -= sold_cost
        position.quantity -= entry.quantity
        if position.quantity <= EPSILON:
            position.quantity, position.cost_basis, position.opened_at = 0.0, 0.0, None
    elif kind == TransactionType.DIVIDEND:
        position.dividends += cash_amount(entry)
        position.realized_pnl += cash_amount(entry)
    else:
        position.fees += cash_amount(entry)
        position.realized_pnl -= cash_amount(entry)


def replay_ledger(entries: list[LedgerEntry]) -> dict[str, Position]:
    """Positions by ticker after every entry (entries may come in any order)."""
    positions: dict[str, Position] = {}
    for entry in sorted(entries, key=sort_key):
        position = positions.setdefault(entry.ticker, Position(ticker=entry.ticker))
        apply_entry(position, entry)
    return positions
