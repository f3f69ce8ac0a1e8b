"""Queries the chat needs: what changed for a user, their recorded forecasts, ticker metadata
and the stored conversation. The ledger is read through the portfolio's services."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.tables import ChatHistory, PredictionHistory, Price, Ticker, User
from core.portfolio.activities import list_activities, traded_tickers
from core.portfolio.holdings import held_tickers, list_holdings

HOLDINGS_SCANNED = 10_000  # every holding: a fingerprint must see them all


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
    stocks, _total = list_holdings(session, owner=user, limit=HOLDINGS_SCANNED)
    holdings = (
        len(stocks),
        max((s.updated_at for s in stocks), default=None),
        sum(s.quantity for s in stocks),
        sum(s.avg_cost for s in stocks),
    )
    entries = list_activities(session, owner=user)
    transactions = (len(entries), max((e.id for e in entries), default=None))
    predictions = session.execute(
        select(func.count(), func.max(PredictionHistory.id), func.count(PredictionHistory.realised_value)).where(
            PredictionHistory.user_id == user.id
        )
    ).one()
    symbols = set(held_tickers(session, owner=user)) | set(traded_tickers(session, owner=user))
    last_price = (
        session.execute(select(func.max(Price.date), func.count()).where(Price.ticker.in_(sorted(symbols)))).one()
        if symbols
        else None
    )
    parts = [user.id, user.email, user.created_at, tuple(holdings), tuple(transactions), tuple(predictions)]
    parts.append(tuple(last_price) if last_price else None)
    parts.append(dt.date.today())  # returns and "as of" phrases move with the calendar
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


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
