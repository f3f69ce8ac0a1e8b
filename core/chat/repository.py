"""Queries the chat needs: what changed for a user, their transactions and recorded forecasts,
ticker metadata, and the stored conversation."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.tables import ChatHistory, PredictionHistory, Price, Stock, Ticker, Transaction, TransactionType, User


@dataclass(frozen=True)
class TransactionTotals:
    ticker: str
    type: str
    count: int
    quantity: float
    amount: float
    first_date: dt.date
    last_date: dt.date


def held_symbols(session: Session, *, user: User) -> list[str]:
    return list(session.scalars(select(Stock.ticker).where(Stock.owner_id == user.id).order_by(Stock.ticker)))


def traded_symbols(session: Session, *, user: User) -> list[str]:
    query = select(Transaction.ticker).where(Transaction.owner_id == user.id, Transaction.ticker.is_not(None))
    query = query.distinct()
    return sorted(session.scalars(query))


def ticker_metadata(session: Session, symbols: Iterable[str]) -> dict[str, Ticker]:
    symbols = list(symbols)
    if not symbols:
        return {}
    return {row.symbol: row for row in session.scalars(select(Ticker).where(Ticker.symbol.in_(symbols)))}


def all_ticker_names(session: Session) -> dict[str, str | None]:
    return dict(session.execute(select(Ticker.symbol, Ticker.name)).all())


def state_fingerprint(session: Session, *, user: User) -> str:
    """A digest of everything a user's documents are built from: equal digests, same documents.

    The user's e-mail and creation time are part of it, so a re-used id never matches the
    documents of the account that had it before.
    """
    holdings = session.execute(
        select(func.count(), func.max(Stock.updated_at), func.sum(Stock.quantity), func.sum(Stock.avg_cost)).where(
            Stock.owner_id == user.id
        )
    ).one()
    transactions = session.execute(
        select(func.count(), func.max(Transaction.id)).where(Transaction.owner_id == user.id)
    ).one()
    predictions = session.execute(
        select(func.count(), func.max(PredictionHistory.id), func.count(PredictionHistory.realised_value)).where(
            PredictionHistory.user_id == user.id
        )
    ).one()
    symbols = set(held_symbols(session, user=user)) | set(traded_symbols(session, user=user))
    last_price = (
        session.execute(select(func.max(Price.date), func.count()).where(Price.ticker.in_(sorted(symbols)))).one()
        if symbols
        else None
    )
    parts = [user.id, user.email, user.created_at, tuple(holdings), tuple(transactions), tuple(predictions)]
    parts.append(tuple(last_price) if last_price else None)
    parts.append(dt.date.today())  # returns and "as of" phrases move with the calendar
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def transaction_totals(session: Session, *, user: User) -> list[TransactionTotals]:
    """Per ticker and type: how many entries, shares, and the money they moved (`cash_amount`,
    what the analytics count: a fee entry's fee, a buy's cost with its commission)."""
    from core.portfolio.positions import cash_amount

    query = select(Transaction).where(Transaction.owner_id == user.id, Transaction.ticker.is_not(None))
    groups: dict[tuple[str, str], list[Transaction]] = {}
    for entry in session.scalars(query.order_by(Transaction.ticker, Transaction.date, Transaction.id)):
        groups.setdefault((entry.ticker, TransactionType(entry.type).value), []).append(entry)
    return [
        TransactionTotals(
            ticker,
            kind,
            len(entries),
            float(sum(e.quantity for e in entries)),
            float(sum(cash_amount(e) for e in entries)),
            min(e.date for e in entries),
            max(e.date for e in entries),
        )
        for (ticker, kind), entries in sorted(groups.items())
    ]


# The rows of one forecast are inserted one by one, each stamped with its own `made_at`.
FORECAST_BATCH_WINDOW = dt.timedelta(minutes=10)


def latest_predictions(session: Session, *, user: User, ticker: str | None = None) -> list[PredictionHistory]:
    """The rows of each (ticker, model)'s most recent forecast this user was shown, by step.

    A forecast is the rows sharing the newest row's origin date, made shortly before it.
    """
    newest_ids = (
        select(func.max(PredictionHistory.id))
        .where(PredictionHistory.user_id == user.id)
        .group_by(PredictionHistory.ticker, PredictionHistory.model)
    )
    if ticker is not None:
        newest_ids = newest_ids.where(PredictionHistory.ticker == ticker)
    newest = session.scalars(
        select(PredictionHistory)
        .where(PredictionHistory.id.in_(newest_ids))
        .order_by(PredictionHistory.ticker, PredictionHistory.model)
    ).all()
    rows: list[PredictionHistory] = []
    for last in newest:
        batch = session.scalars(
            select(PredictionHistory)
            .where(
                PredictionHistory.user_id == user.id,
                PredictionHistory.ticker == last.ticker,
                PredictionHistory.model == last.model,
                PredictionHistory.origin_date == last.origin_date,
                PredictionHistory.made_at >= last.made_at - FORECAST_BATCH_WINDOW,
            )
            .order_by(PredictionHistory.horizon_step, PredictionHistory.id)
        )
        by_step = {row.horizon_step: row for row in batch}  # a repeated step: the newest wins
        rows += [by_step[step] for step in sorted(by_step)]
    return rows


def add_chat_message(session: Session, *, user: User, role: str, content: str, sources: list[dict]) -> ChatHistory:
    row = ChatHistory(user_id=user.id, role=role, content=content, sources=sources)
    session.add(row)
    session.flush()
    return row


def list_chat_messages(session: Session, *, user: User, limit: int, offset: int) -> tuple[list[ChatHistory], int]:
    """A user's messages, newest first (id breaks ties within one exchange)."""
    query = select(ChatHistory).where(ChatHistory.user_id == user.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ChatHistory.created_at.desc(), ChatHistory.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def count_predictions(session: Session, *, user: User) -> tuple[int, int]:
    """(recorded, still waiting for their real price) predictions of this user."""
    total, realised = session.execute(
        select(func.count(), func.count(PredictionHistory.realised_value)).where(PredictionHistory.user_id == user.id)
    ).one()
    return int(total), int(total) - int(realised)
