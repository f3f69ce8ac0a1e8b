"""The transaction ledger: the record of buys, sells, dividends and fees per user.

How holdings relate to it: the ledger is the source of truth, and each `Stock` row is the
current position the ledger implies for its ticker (quantity and average cost), rewritten
after every ledger change (`sync_holding`); a position sold down to zero has no `Stock` row.
Adding a holding by hand (holdings API) records an opening buy of that quantity at its
average cost on its `opened_at` date (today if none); editing its quantity or cost edits that
opening buy while it is the ticker's only entry; deleting the holding deletes the ticker's
entries. Selling more than is held at that date is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.auth.permissions import ensure_can_write
from core.db.tables import Stock, Transaction, TransactionType, User
from core.errors import ConflictError, InvalidInputError
from core.market.repository import get_ticker_row, known_tickers
from core.portfolio.positions import Position, apply_entry, replay_ledger, sort_key
from core.portfolio.schemas import ImportResult, TransactionCreate
from core.portfolio.transactions_csv import (
    ParsedRow,
    collect_transaction_rows,
    export_csv,
    get_import_mapping,
    raise_problems,
    save_import_mapping,
)


def owner_transactions(session: Session, *, owner: User, ticker: str | None = None) -> list[Transaction]:
    query = select(Transaction).where(Transaction.owner_id == owner.id)
    if ticker is not None:
        query = query.where(Transaction.ticker == ticker)
    return list(session.scalars(query.order_by(Transaction.date, Transaction.id)))


def replay_ticker(entries: list[Transaction], ticker: str) -> Position:
    return replay_ledger(entries).get(ticker, Position(ticker=ticker))


def sync_holding(session: Session, *, owner: User, ticker: str) -> Stock | None:
    """Rewrite the `Stock` row of `ticker` from the ledger; returns it (None when closed)."""
    position = replay_ticker(owner_transactions(session, owner=owner, ticker=ticker), ticker)
    stock = session.scalar(select(Stock).where(Stock.owner_id == owner.id, Stock.ticker == ticker))
    if position.quantity <= 0:
        if stock is not None:
            session.delete(stock)
            session.flush()
        return None
    if stock is None:
        meta = get_ticker_row(session, ticker)
        stock = Stock(owner_id=owner.id, ticker=ticker, currency=meta.currency if meta else "USD")
        session.add(stock)
    stock.quantity = position.quantity
    stock.avg_cost = position.avg_cost
    stock.opened_at = position.opened_at
    session.flush()
    return stock


def _ensure_known(session: Session, tickers: set[str], *, owner: User) -> None:
    """Refuse tickers with no prices or metadata, unless the owner already holds them."""
    held = set(session.scalars(select(Transaction.ticker).where(Transaction.owner_id == owner.id).distinct()))
    unknown = sorted(tickers - held - known_tickers(session, tickers - held))
    if unknown:
        raise InvalidInputError(
            f"unknown ticker(s): {', '.join(unknown)}; load or import their prices first",
            details=[{"column": "ticker", "reason": f"unknown ticker {symbol}"} for symbol in unknown],
        )


def record_transaction(
    session: Session, *, owner: User, data: TransactionCreate, check_ticker: bool = True, sync: bool = True
) -> Transaction:
    """Add one entry, refusing a sell of more than is held at its date; updates the holding."""
    ensure_can_write(owner)
    if check_ticker:
        _ensure_known(session, {data.ticker}, owner=owner)
    entry = Transaction(owner_id=owner.id, **data.model_dump())
    existing = owner_transactions(session, owner=owner, ticker=data.ticker)
    replay_ledger([*existing, entry])  # raises InvalidInputError on an oversell
    session.add(entry)
    session.flush()
    if sync:
        sync_holding(session, owner=owner, ticker=data.ticker)
    return entry


def record_transactions(session: Session, *, owner: User, rows: list[TransactionCreate]) -> ImportResult:
    """Add many entries at once, all or nothing (each ticker's whole history is checked)."""
    ensure_can_write(owner)
    tickers = {row.ticker for row in rows}
    _ensure_known(session, tickers, owner=owner)
    entries = [Transaction(owner_id=owner.id, **row.model_dump()) for row in rows]
    existing = [t for t in owner_transactions(session, owner=owner) if t.ticker in tickers]
    replay_ledger([*existing, *entries])
    session.add_all(entries)
    session.flush()
    for ticker in sorted(tickers):
        sync_holding(session, owner=owner, ticker=ticker)
    return ImportResult(imported=len(entries), tickers=sorted(tickers))


def list_transactions(
    session: Session, *, owner: User, limit: int = 100, offset: int = 0, ticker: str | None = None
) -> tuple[list[Transaction], int]:
    """The owner's entries, newest first, with the total count."""
    query = select(Transaction).where(Transaction.owner_id == owner.id)
    if ticker:
        query = query.where(Transaction.ticker == ticker.upper())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Transaction.date.desc(), Transaction.id.desc()).limit(limit).offset(offset))
    return list(rows), total


# --- keeping hand-edited holdings and the ledger in step (called by core.portfolio.holdings) ---


def record_opening_buy(session: Session, *, owner: User, stock: Stock) -> None:
    """The ledger entry a hand-added holding stands for (already validated as a StockCreate)."""
    data = TransactionCreate.model_construct(
        date=stock.opened_at or dt.date.today(),
        ticker=stock.ticker,
        type=TransactionType.BUY,
        quantity=stock.quantity,
        price=stock.avg_cost,
        fee=0.0,
    )
    record_transaction(session, owner=owner, data=data, check_ticker=False, sync=False)


def apply_holding_edit(session: Session, *, owner: User, stock: Stock, old_ticker: str) -> None:
    """Carry a hand edit of a holding (ticker, quantity, cost, opened_at) into the ledger."""
    entries = owner_transactions(session, owner=owner, ticker=old_ticker)
    if old_ticker != stock.ticker:
        for entry in entries:
            entry.ticker = stock.ticker
    position = replay_ticker(entries, stock.ticker)
    unchanged = abs(position.quantity - stock.quantity) < 1e-9 and abs(position.avg_cost - stock.avg_cost) < 1e-9
    if len(entries) == 1 and entries[0].type == TransactionType.BUY:
        opening = entries[0]
        opening.quantity, opening.price, opening.fee = stock.quantity, stock.avg_cost, 0.0
        opening.date = stock.opened_at or opening.date
    elif not unchanged:
        raise ConflictError(
            f"{stock.ticker} has {len(entries)} transactions; record a buy or sell instead of editing "
            "the holding's quantity or cost"
        )
    session.flush()


def delete_ticker_entries(session: Session, *, owner: User, ticker: str) -> None:
    session.execute(delete(Transaction).where(Transaction.owner_id == owner.id, Transaction.ticker == ticker))


# --- CSV import and export ------------------------------------------------------------------


def _check_rows_against_ledger(session: Session, *, owner: User, rows: list[ParsedRow]) -> list[dict[str, object]]:
    """Unknown tickers and oversells, one problem per row, found before anything is written."""
    problems: list[dict[str, object]] = []
    tickers = {row.data.ticker for row in rows}
    known = known_tickers(session, tickers)
    problems += [
        {"row": r.row, "column": "ticker", "reason": f"unknown ticker {r.data.ticker}"}
        for r in rows
        if r.data.ticker not in known
    ]
    existing = [t for t in owner_transactions(session, owner=owner) if t.ticker in tickers]
    positions: dict[str, Position] = {}
    staged = [(entry, None) for entry in existing] + [(Transaction(**r.data.model_dump()), r.row) for r in rows]
    for entry, row in sorted(staged, key=lambda pair: sort_key(pair[0])):
        position = positions.setdefault(entry.ticker, Position(ticker=entry.ticker))
        try:
            apply_entry(position, entry)
        except InvalidInputError as exc:
            problems.append({"row": row, "column": "quantity", "reason": exc.message})
    return problems


def import_transactions(
    session: Session,
    *,
    owner: User,
    content: bytes | str,
    mapping: dict[str, str] | None = None,
    mapping_name: str | None = None,
    save_mapping_as: str | None = None,
) -> ImportResult:
    """Import a CSV of transactions, all or nothing.

    `mapping` maps the file's headers onto ours; `mapping_name` uses a saved one;
    `save_mapping_as` saves `mapping` for next time. A bad file raises InvalidInputError
    whose `details` are {"row", "column", "reason"} for every problem, and writes nothing.
    """
    ensure_can_write(owner)
    if mapping is None and mapping_name:
        mapping = get_import_mapping(session, owner=owner, name=mapping_name)
    rows, problems = collect_transaction_rows(content, mapping=mapping)
    problems += _check_rows_against_ledger(session, owner=owner, rows=rows)
    if problems:
        raise_problems(problems)
    with session.begin_nested():
        result = record_transactions(session, owner=owner, rows=[r.data for r in rows])
        if save_mapping_as and mapping:
            save_import_mapping(session, owner=owner, name=save_mapping_as, columns=mapping)
    return result


def export_transactions(session: Session, *, owner: User) -> str:
    """The owner's ledger as CSV `date,ticker,type,quantity,price,fee`."""
    return export_csv(owner_transactions(session, owner=owner))
