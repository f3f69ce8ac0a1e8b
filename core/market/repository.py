"""Queries over the price store."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import Price

PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]


def read_price_history(
    session: Session, ticker: str, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Daily OHLCV for one ticker, indexed by date (ascending): one query on (ticker, date)."""
    query = select(Price.date, Price.open, Price.high, Price.low, Price.close, Price.volume).where(
        Price.ticker == ticker
    )
    if start is not None:
        query = query.where(Price.date >= start)
    if end is not None:
        query = query.where(Price.date <= end)
    rows = session.execute(query.order_by(Price.date)).all()
    frame = pd.DataFrame(rows, columns=["date", *PRICE_COLUMNS])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.set_index("date")
