"""Holdings (`Stock` rows): create, list, change and delete, always scoped to the owner.

Another user's holding is reported as not found, so ids never reveal what exists.
Each change is carried into the transaction ledger (see `core.portfolio.ledger` for how).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth.permissions import ensure_can_write
from core.db.tables import Stock, User
from core.errors import ConflictError, NotFoundError
from core.portfolio import ledger
from core.portfolio.schemas import StockCreate, StockUpdate


def _flush_or_conflict(session: Session, ticker: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"the portfolio already holds {ticker}; edit that holding instead") from exc


def add_holding(session: Session, *, owner: User, data: StockCreate) -> Stock:
    ensure_can_write(owner)
    stock = Stock(owner_id=owner.id, **data.model_dump())
    session.add(stock)
    _flush_or_conflict(session, data.ticker)
    ledger.record_opening_buy(session, owner=owner, stock=stock)
    return stock


def list_holdings(session: Session, *, owner: User, limit: int = 100, offset: int = 0) -> tuple[list[Stock], int]:
    query = select(Stock).where(Stock.owner_id == owner.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Stock.ticker).limit(limit).offset(offset)).all()
    return list(rows), total


def get_holding(session: Session, *, owner: User, stock_id: int) -> Stock:
    stock = session.scalar(select(Stock).where(Stock.id == stock_id, Stock.owner_id == owner.id))
    if stock is None:
        raise NotFoundError(f"holding {stock_id} not found")
    return stock


def update_holding(session: Session, *, owner: User, stock_id: int, data: StockUpdate) -> Stock:
    ensure_can_write(owner)
    stock = get_holding(session, owner=owner, stock_id=stock_id)
    old_ticker = stock.ticker
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field in {"ticker", "quantity", "avg_cost", "currency"}:
            continue  # required columns: "null" means "leave as is"
        setattr(stock, field, value)
    _flush_or_conflict(session, stock.ticker)
    ledger.apply_holding_edit(session, owner=owner, stock=stock, old_ticker=old_ticker)
    return stock


def delete_holding(session: Session, *, owner: User, stock_id: int) -> None:
    ensure_can_write(owner)
    stock = get_holding(session, owner=owner, stock_id=stock_id)
    ledger.delete_ticker_entries(session, owner=owner, ticker=stock.ticker)
    session.delete(stock)
    session.flush()
