"""Chat test data: tickers with deterministic prices (inserted directly), a portfolio made
through the holdings service, and recorded predictions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import PredictionHistory, Price, Ticker, User
from tests.factories import make_holding, make_user

LAST_PRICE_DATE = dt.date(2026, 11, 20)
OPENED_AT = dt.date(2026, 3, 2)


@dataclass(frozen=True)
class TickerSpec:
    symbol: str
    name: str
    sector: str
    start: float
    drift: float  # daily
    vol: float  # daily


# Made-up symbols, so that prices committed by other areas' tests never collide with these.
TICKERS = {
    "ORCH": TickerSpec("ORCH", "Orchard Foods Inc.", "Consumer Staples", 50.0, 0.0015, 0.010),
    "VOLT": TickerSpec("VOLT", "Voltline Energy Corp.", "Energy", 80.0, -0.0010, 0.025),
    "NIMB": TickerSpec("NIMB", "Nimbus Software Ltd.", "Technology", 120.0, 0.0008, 0.018),
    "CRAN": TickerSpec("CRAN", "Cranfield Industrial plc", "Industrials", 30.0, 0.0002, 0.012),
    "MEDX": TickerSpec("MEDX", "Medixa Health Inc.", "Health Care", 60.0, 0.0004, 0.015),
}


def price_series(spec: TickerSpec, sessions: int = 300) -> pd.Series:
    rng = np.random.default_rng(sum(map(ord, spec.symbol)))
    dates = pd.bdate_range(end=LAST_PRICE_DATE, periods=sessions)
    closes = spec.start * np.exp(np.cumsum(rng.normal(spec.drift, spec.vol, sessions)))
    return pd.Series(np.round(closes, 4), index=dates)


def add_ticker(session: Session, symbol: str, sessions: int = 300) -> pd.Series:
    """The ticker's metadata and daily prices, unless already stored; returns the closes."""
    spec = TICKERS[symbol]
    closes = price_series(spec, sessions)
    if session.get(Ticker, symbol) is None:
        session.add(Ticker(symbol=symbol, name=spec.name, sector=spec.sector, currency="USD", source="test"))
    if session.scalar(select(Price.id).where(Price.ticker == symbol).limit(1)) is None:
        session.add_all(
            Price(ticker=symbol, date=day.date(), open=c, high=c, low=c, close=c, volume=1000.0, source="test")
            for day, c in closes.items()
        )
    session.flush()
    return closes


def make_portfolio(session: Session, holdings: dict[str, tuple[float, float]], **user_fields) -> User:
    """A user holding `{symbol: (quantity, avg_cost)}` (the holdings service records each in the ledger)."""
    user = make_user(session, **user_fields)
    for symbol, (quantity, avg_cost) in holdings.items():
        add_ticker(session, symbol)
        make_holding(session, owner=user, ticker=symbol, quantity=quantity, avg_cost=avg_cost, opened_at=OPENED_AT)
    session.flush()
    return user


def record_forecast(session: Session, *, user: User, ticker: str, model: str = "arima", steps: int = 5) -> list:
    """A recorded 5-step forecast made at the last price date, as the forecasting service records."""
    made_at = dt.datetime.combine(LAST_PRICE_DATE, dt.time(18, 0), tzinfo=dt.UTC)
    targets = pd.bdate_range(LAST_PRICE_DATE + dt.timedelta(days=1), periods=steps)
    rows = [
        PredictionHistory(
            user_id=user.id,
            ticker=ticker,
            model=model,
            model_version="1",
            made_at=made_at + dt.timedelta(milliseconds=step),  # stamped row by row, as inserted
            origin_date=LAST_PRICE_DATE,
            target_date=day.date(),
            horizon_step=step,
            predicted_value=100.0 + step,
            lo80=95.0 + step,
            hi80=105.0 + step,
            lo95=90.0 + step,
            hi95=110.0 + step,
        )
        for step, day in enumerate(targets, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return rows
