"""An owner's ledger as the figures read it: plain rows and columns, never ORM objects.

A ledger may hold 100,000 activities. They are read in one statement straight off the
driver's cursor (no per-value processing) and kept as columns (`LedgerSnapshot.frame`),
which the summary and the performance figures compute on with numpy; `entries()` gives the
same ledger as `LedgerRow`s for the code that walks it entry by entry. Replay order: date,
then deposit → buy → dividend → fee → sell → withdrawal, then id (core.portfolio.positions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Integer, String, case, cast, func, literal, select
from sqlalchemy.orm import Session

from core.db.tables import Stock, Transaction, TransactionType, User
from core.market.repository import fetch_raw
from core.portfolio.analytics_schemas import CashBalance
from core.portfolio.positions import EPSILON, TYPE_ORDER, Position, cash_amounts, replay_ledger, sort_key

FRAME_COLUMNS = ["date", "ticker", "type", "quantity", "price", "fee", "amount", "id"]


class LedgerRow(NamedTuple):
    """One activity as the figures read it (a ledger entry: see core.portfolio.positions)."""

    date: dt.date
    ticker: str | None
    type: TransactionType
    quantity: float
    price: float
    fee: float
    amount: float
    id: int


_TYPES = {kind.value: kind for kind in TransactionType}
_ORDER = {kind.value: order for kind, order in TYPE_ORDER.items()}
_LEDGER_COLUMNS = (
    Transaction.date,
    Transaction.ticker,
    Transaction.type,
    Transaction.quantity,
    Transaction.price,
    Transaction.fee,
    Transaction.amount,
    Transaction.id,
)


def cash_of_totals(totals: dict[str, float], *, tracked: bool) -> CashBalance:
    """The balance from the money moved by each type of entry (type value → total)."""

    def total(kind: TransactionType) -> float:
        return float(totals.get(kind, 0.0))

    inflow = total(TransactionType.DEPOSIT) + total(TransactionType.SELL) + total(TransactionType.DIVIDEND)
    outflow = total(TransactionType.WITHDRAWAL) + total(TransactionType.BUY) + total(TransactionType.FEE)
    return CashBalance(
        balance=inflow - outflow,
        tracked=tracked,
        deposits=total(TransactionType.DEPOSIT),
        withdrawals=total(TransactionType.WITHDRAWAL),
        purchases=total(TransactionType.BUY),
        sale_proceeds=total(TransactionType.SELL),
        dividends=total(TransactionType.DIVIDEND),
        fees=total(TransactionType.FEE),
    )


def _raw_activities(session: Session, owner: User, ticker: str | None = None) -> list[tuple]:
    query = select(*_LEDGER_COLUMNS).where(Transaction.owner_id == owner.id)
    if ticker is not None:
        query = query.where(Transaction.ticker == ticker)
    return fetch_raw(session, query)


def _rows(raw: list[tuple]) -> list[LedgerRow]:
    days: dict = {}  # a ledger has far fewer distinct days than activities: parse each once
    rows = []
    for day, ticker, kind, quantity, price, fee, amount, ident in raw:
        date = days.get(day)
        if date is None:
            date = days[day] = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        rows.append(LedgerRow(date, ticker, _TYPES[kind], quantity, price, fee, amount or 0.0, ident))
    return rows


def activity_rows(session: Session, *, owner: User, ticker: str | None = None) -> list[LedgerRow]:
    """The owner's activities (of `ticker`, or all) as rows in replay order (one statement):
    what the ledger rules check."""
    rows = _rows(_raw_activities(session, owner, ticker))
    rows.sort(key=sort_key)
    return rows


@dataclass(frozen=True)
class LedgerSnapshot:
    """The ledger in replay order as columns (`frame`: date as datetime64, ticker '' for cash,
    type as its value), and the stored holdings (ticker → quantity, average cost), which the
    ledger writes keep equal to the ledger's replay."""

    frame: pd.DataFrame
    holdings: dict[str, tuple[float, float]] = field(default_factory=dict)

    def money(self) -> np.ndarray:
        """The money each entry moves (`cash_amount`, ≥ 0)."""
        frame = self.frame
        return cash_amounts(
            frame["type"].to_numpy(dtype=object),
            frame["quantity"].to_numpy(dtype=float),
            frame["price"].to_numpy(dtype=float),
            frame["fee"].to_numpy(dtype=float),
            frame["amount"].to_numpy(dtype=float),
        )

    def positions(self) -> dict[str, Position]:
        """The average-cost positions `replay_ledger` gives, from column totals: the money
        realised on a ticker is what its sales, dividends and fee charges brought minus what
        its sold shares cost, and that cost is what was paid for its buys minus the cost still
        held (the stored holding's quantity × average cost). A ticker whose stored holding
        disagrees with its activities is replayed instead."""
        frame = self.frame
        kind, quantity, fee = (
            frame["type"].to_numpy(dtype=object),
            frame["quantity"].to_numpy(),
            frame["fee"].to_numpy(),
        )
        money = self.money()
        buy, sell = kind == "buy", kind == "sell"
        totals = (
            pd.DataFrame(
                {
                    "ticker": frame["ticker"].to_numpy(),
                    "bought_quantity": np.where(buy, quantity, 0.0),
                    "sold_quantity": np.where(sell, quantity, 0.0),
                    "bought_amount": np.where(buy, money, 0.0),
                    "sold_amount": np.where(sell, money, 0.0),
                    "dividends": np.where(kind == "dividend", money, 0.0),
                    "fees": np.where(kind == "fee", money, 0.0),
                    "commissions": np.where(buy | sell, fee, 0.0),
                }
            )
            .query("ticker != ''")
            .groupby("ticker", sort=True)
            .sum()
        )
        positions: dict[str, Position] = {}
        disagreeing = []
        for row in totals.itertuples():
            net = row.bought_quantity - row.sold_quantity
            stored = self.holdings.get(row.Index)
            if net <= EPSILON and stored is None:
                held, cost = 0.0, 0.0
            elif stored is not None and abs(stored[0] - net) <= 1e-9 * max(1.0, net):
                held, cost = stored[0], stored[0] * stored[1]
            else:
                disagreeing.append(row.Index)
                continue
            positions[row.Index] = Position(
                ticker=row.Index,
                quantity=held,
                cost_basis=cost,
                realized_pnl=row.sold_amount - (row.bought_amount - cost) + row.dividends - row.fees,
                dividends=row.dividends,
                fees=row.fees,
                commissions=row.commissions,
                bought_quantity=row.bought_quantity,
                sold_quantity=row.sold_quantity,
                bought_amount=row.bought_amount,
                sold_amount=row.sold_amount,
            )
        if disagreeing:
            subset = LedgerSnapshot(frame=frame[frame["ticker"].isin(disagreeing)].reset_index(drop=True))
            positions.update(replay_ledger(subset.entries()))
        return dict(sorted(positions.items()))

    def cash(self) -> CashBalance:
        totals = pd.Series(self.money()).groupby(self.frame["type"].to_numpy()).sum()
        tracked = bool(self.frame["type"].isin([TransactionType.DEPOSIT.value, TransactionType.WITHDRAWAL.value]).any())
        return cash_of_totals(totals.to_dict(), tracked=tracked)

    def entries(self) -> list[LedgerRow]:
        frame = self.frame
        return [
            LedgerRow(day, ticker or None, _TYPES[kind], quantity, price, fee, amount, int(ident))
            for day, ticker, kind, quantity, price, fee, amount, ident in zip(
                frame["date"].dt.date,
                frame["ticker"],
                frame["type"],
                frame["quantity"],
                frame["price"],
                frame["fee"],
                frame["amount"],
                frame["id"],
                strict=True,
            )
        ]


SEPARATOR = "\x1f"  # the ASCII unit separator: in no ticker, type, date or number


def _column_texts(session: Session, owner: User) -> list[list[str]]:
    """The owner's activities as eight lists of texts (date, ticker, type, quantity, price,
    fee, amount, id), aggregated by the database into one row: a ledger of 100,000 activities
    crosses the driver as eight strings, not 100,000 tuples. Floats are written so that they
    parse back to the very same numbers (PostgreSQL's shortest exact form; on SQLite, a whole
    number as the integer it is, any other with 17 significant digits).

    The lists are in no particular order (read_ledger sorts them), but in the same one: the
    eight aggregates of one query level are fed each row in turn, on SQLite and on PostgreSQL
    (whose parallel partial aggregates are combined row by row, all eight together). Giving
    each aggregate its own ORDER BY would make PostgreSQL sort the ledger eight times (240 of
    the 250 ms this statement took on 100,000 activities)."""
    postgres = session.get_bind().dialect.name == "postgresql"

    def text(column, number: bool = False):
        if postgres:
            return func.string_agg(cast(column, String), literal(SEPARATOR))
        if number:  # most quantities, fees and amounts are whole: an integer prints at half the cost
            whole = cast(column, Integer)
            column = case((column == whole, whole), else_=func.printf("%!.17g", column))
        return func.group_concat(column, SEPARATOR)

    query = select(
        text(Transaction.date),
        text(func.coalesce(Transaction.ticker, "")),
        text(Transaction.type),
        text(Transaction.quantity, number=True),
        text(Transaction.price, number=True),
        text(Transaction.fee, number=True),
        text(func.coalesce(Transaction.amount, 0.0), number=True),
        text(Transaction.id),
    ).where(Transaction.owner_id == owner.id)
    (row,) = fetch_raw(session, query)
    if row[0] is None:
        return [[] for _ in FRAME_COLUMNS]
    return [value.split(SEPARATOR) for value in row]


def read_ledger(session: Session, *, owner: User) -> LedgerSnapshot:
    """The owner's activities, plus an opening buy for any holding stored before the ledger
    existed (no activities of its ticker), in two statements."""
    dates, tickers, kinds, *numbers = _column_texts(session, owner)
    stocks = session.execute(
        select(Stock.ticker, Stock.quantity, Stock.avg_cost, Stock.opened_at, Stock.created_at).where(
            Stock.owner_id == owner.id
        )
    ).all()
    in_ledger = set(tickers)
    for ticker, quantity, avg_cost, opened_at, created_at in stocks:
        if ticker not in in_ledger and quantity > 0:
            dates.append((opened_at or created_at.date()).isoformat())
            tickers.append(ticker)
            kinds.append(TransactionType.BUY.value)
            for column, value in zip(numbers, (quantity, avg_cost, 0.0, 0.0, 0), strict=True):
                column.append(repr(value))
    frame = pd.DataFrame(
        {
            "date": np.array(dates, dtype="datetime64[D]").astype("datetime64[ns]"),
            "ticker": np.array(tickers, dtype=object),
            "type": np.array(kinds, dtype=object),
            "quantity": np.array(numbers[0], dtype=float),
            "price": np.array(numbers[1], dtype=float),
            "fee": np.array(numbers[2], dtype=float),
            "amount": np.array(numbers[3], dtype=float),
            "id": np.array(numbers[4], dtype=np.int64),
        },
        columns=FRAME_COLUMNS,
    )
    order = np.lexsort((frame["id"].to_numpy(), frame["type"].map(_ORDER).to_numpy(), frame["date"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    holdings = {ticker: (quantity, avg_cost) for ticker, quantity, avg_cost, _opened, _created in stocks}
    return LedgerSnapshot(frame=frame, holdings=holdings)


def ledger_entries(session: Session, *, owner: User) -> list[LedgerRow]:
    """What every figure is computed from, in replay order (see `read_ledger`)."""
    return read_ledger(session, owner=owner).entries()
