"""Replaying a ledger into positions and cash (average-cost method): pure functions, no database.

Average cost: a buy adds `quantity × price + fee` to the cost basis; a sell removes the
average cost of the shares sold and realises `proceeds − fee − that cost`; dividends add
to realised P&L, fee transactions subtract from it. Deposits and withdrawals (no ticker)
move cash only. Within a day, entries are replayed in the order deposit, buy, dividend,
fee, sell, withdrawal (so a same-day buy covers a same-day sell).

Cash: deposits, sale proceeds and dividends add to it; buys (with their fees), fee charges
and withdrawals draw it down. Once any deposit (or withdrawal) is recorded the balance may not end a day
below zero (`replay_cash` refuses naming the day); before that it is simply the net of the
trades (negative: money put in from outside), so portfolios without deposits keep working.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from core.db.tables import TransactionType
from core.errors import InvalidInputError
from core.formatting import money

EPSILON = 1e-9
CASH_TOLERANCE = 0.005  # half a cent: sums of floats may miss zero by rounding noise
TYPE_ORDER = {
    TransactionType.DEPOSIT: 0,
    TransactionType.BUY: 1,
    TransactionType.DIVIDEND: 2,
    TransactionType.FEE: 3,
    TransactionType.SELL: 4,
    TransactionType.WITHDRAWAL: 5,
}
CASH_TYPES = {TransactionType.DEPOSIT, TransactionType.WITHDRAWAL}


class LedgerEntry(Protocol):
    date: dt.date
    ticker: str | None
    type: TransactionType
    quantity: float
    price: float
    fee: float


@dataclass(slots=True)
class Position:
    ticker: str
    quantity: float = 0.0
    cost_basis: float = 0.0
    realized_pnl: float = 0.0
    dividends: float = 0.0
    fees: float = 0.0
    commissions: float = 0.0  # fees paid on buys and sells (inside cost basis and proceeds)
    bought_quantity: float = 0.0
    sold_quantity: float = 0.0
    bought_amount: float = 0.0  # money paid for buys, fees included
    sold_amount: float = 0.0  # money received for sells, fees deducted
    opened_at: dt.date | None = None
    first_opened_at: dt.date | None = None
    closed_at: dt.date | None = None

    @property
    def avg_cost(self) -> float:
        return self.cost_basis / self.quantity if self.quantity > EPSILON else 0.0


def entry_amount(entry: LedgerEntry) -> float:
    return float(getattr(entry, "amount", 0.0) or 0.0)


# The replay runs once per entry of ledgers of 100,000 entries: types are compared as the
# strings they are (TransactionType is a StrEnum), without converting each entry's type.
_BUY, _SELL, _DIVIDEND, _FEE = (
    TransactionType.BUY,
    TransactionType.SELL,
    TransactionType.DIVIDEND,
    TransactionType.FEE,
)
_INCOMING = frozenset({TransactionType.SELL, TransactionType.DIVIDEND, TransactionType.DEPOSIT})


def cash_amount(entry: LedgerEntry) -> float:
    """The money the entry moves, always >= 0: paid for a buy, fee or withdrawal; received
    for a sell, dividend or deposit."""
    kind = entry.type
    gross = entry.quantity * entry.price
    if kind == _BUY:
        return gross + entry.fee
    if kind == _SELL:
        return gross - entry.fee
    if kind == _DIVIDEND:
        total = entry_amount(entry) or (gross if entry.quantity > 0 else entry.price)
        return total - entry.fee
    if kind in CASH_TYPES:
        return entry_amount(entry)
    return entry_amount(entry) + entry.fee + gross


def cash_amounts(
    kind: np.ndarray, quantity: np.ndarray, price: np.ndarray, fee: np.ndarray, amount: np.ndarray
) -> np.ndarray:
    """`cash_amount` over whole columns (type values, quantities, prices, fees, amounts)."""
    gross = quantity * price
    dividend_total = np.where(amount != 0, amount, np.where(quantity > 0, gross, price))
    is_cash = (kind == TransactionType.DEPOSIT.value) | (kind == TransactionType.WITHDRAWAL.value)
    return np.select(
        [kind == _BUY.value, kind == _SELL.value, kind == _DIVIDEND.value, is_cash],
        [gross + fee, gross - fee, dividend_total - fee, amount],
        default=amount + fee + gross,
    )


def cash_change(entry: LedgerEntry) -> float:
    """The entry's effect on the cash balance (signed)."""
    return cash_amount(entry) if entry.type in _INCOMING else -cash_amount(entry)


def sort_key(entry: LedgerEntry) -> tuple:
    return (entry.date, TYPE_ORDER[entry.type], getattr(entry, "id", 0) or 0)


def apply_entry(position: Position, entry: LedgerEntry) -> None:
    """Apply one entry in place; InvalidInputError when it sells more than is held."""
    kind = entry.type
    if kind == _BUY:
        amount = cash_amount(entry)
        if position.quantity <= EPSILON:
            position.opened_at = entry.date
            position.first_opened_at = position.first_opened_at or entry.date
            position.closed_at = None
        position.quantity += entry.quantity
        position.cost_basis += amount
        position.bought_quantity += entry.quantity
        position.bought_amount += amount
        position.commissions += entry.fee
    elif kind == _SELL:
        if entry.quantity > position.quantity + EPSILON:
            raise InvalidInputError(
                f"cannot sell {entry.quantity:g} {position.ticker} on {entry.date}: "
                f"only {position.quantity:g} held then"
            )
        sold_cost = position.avg_cost * entry.quantity
        position.realized_pnl += cash_amount(entry) - sold_cost
        position.cost_basis -= sold_cost
        position.quantity -= entry.quantity
        position.sold_quantity += entry.quantity
        position.sold_amount += cash_amount(entry)
        position.commissions += entry.fee
        if position.quantity <= EPSILON:
            position.quantity, position.cost_basis, position.opened_at = 0.0, 0.0, None
            position.closed_at = entry.date
    elif kind == _DIVIDEND:
        position.dividends += cash_amount(entry)
        position.realized_pnl += cash_amount(entry)
    elif kind == _FEE:
        position.fees += cash_amount(entry)
        position.realized_pnl -= cash_amount(entry)


def replay_ledger(entries: list[LedgerEntry]) -> dict[str, Position]:
    """Positions by ticker after every entry (entries may come in any order; cash entries
    have no position)."""
    positions: dict[str, Position] = {}
    for entry in sorted(entries, key=sort_key):
        if entry.type in CASH_TYPES or not entry.ticker:
            continue
        position = positions.setdefault(entry.ticker, Position(ticker=entry.ticker))
        apply_entry(position, entry)
    return positions


def has_deposits(entries: list[LedgerEntry]) -> bool:
    """Whether cash is tracked: any deposit (or withdrawal) is recorded."""
    return any(entry.type in CASH_TYPES for entry in entries)


def replay_cash(entries: list[LedgerEntry]) -> float:
    """The cash balance after every entry; with deposits recorded, InvalidInputError naming
    the first day that would end below zero and the deposit that would be enough: the
    deepest shortfall from that day on (a deposit on or before it lifts every later day)."""
    checked = has_deposits(entries)
    balance = 0.0
    ordered = sorted(entries, key=sort_key)
    first_short: tuple[dt.date, float] | None = None
    deepest = 0.0
    for index, entry in enumerate(ordered):
        balance += cash_change(entry)
        end_of_day = index + 1 == len(ordered) or ordered[index + 1].date != entry.date
        if checked and end_of_day and balance < -CASH_TOLERANCE:
            first_short = first_short or (entry.date, balance)
            deepest = min(deepest, balance)
    if first_short is not None:
        day, short = first_short
        enough = math.ceil(-deepest * 100 - 1e-6) / 100  # whole cents, never a cent short
        raise InvalidInputError(
            f"cash would be {money(short)} at the end of {day}: deposit at least {money(enough)} on or "
            f"before {day}, or record a smaller buy or withdrawal",
            details=[{"column": "amount", "reason": f"at least {money(enough)} on or before {day}"}],
        )
    return balance


def check_ledger(entries: list[LedgerEntry]) -> dict[str, Position]:
    """Every rule the whole ledger must keep (no oversell, no overdrawn cash once deposits are
    recorded); returns the positions. Raises InvalidInputError naming the date."""
    positions = replay_ledger(entries)
    replay_cash(entries)
    return positions
