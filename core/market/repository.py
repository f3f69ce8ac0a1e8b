"""Queries over the price store and ticker metadata.

Writes are idempotent upserts: `INSERT … ON CONFLICT (ticker, date) DO NOTHING` (or DO
UPDATE when overwriting), through the dialect's own insert on PostgreSQL and SQLite.
Reads go through the unique (ticker, date) index: one query per history, one query for the
latest closes of any number of tickers. Every write of a ticker's prices or metadata replaces
its `PriceVersion` token (`mark_prices_changed`), which keys the analytics cache.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from core.db.tables import Price, PriceVersion, Ticker

PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]
UPSERT_BATCH_ROWS = 2000
COMPOUND_SELECT_LIMIT = 400  # SQLite allows 500 SELECTs in one UNION ALL


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


def read_closes(
    session: Session, tickers: Iterable[str], start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Closing prices, one column per ticker, indexed by date (one query for all tickers).

    This is the hot path of portfolio analytics (100 tickers × 5 years = 126,000 rows), so
    the database concatenates each ticker's dates and closes into two strings (one row per
    ticker) that numpy parses in C, instead of building 126,000 Python row tuples.
    """
    tickers = sorted(set(tickers))
    if not tickers:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    day_text = cast(Price.date, String)
    close_text = cast(Price.close, String)
    if session.get_bind().dialect.name == "postgresql":
        days_agg = func.string_agg(day_text, aggregate_order_by(literal(","), Price.date))
        closes_agg = func.string_agg(close_text, aggregate_order_by(literal(","), Price.date))
    else:  # SQLite: both aggregates walk the same rows in the same order
        days_agg, closes_agg = func.group_concat(day_text, ","), func.group_concat(Price.close, ",")
    query = select(Price.ticker, days_agg, closes_agg).where(Price.ticker.in_(tickers)).group_by(Price.ticker)
    if start is not None:
        query = query.where(Price.date >= start)
    if end is not None:
        query = query.where(Price.date <= end)
    rows = fetch_raw(session, query)
    if not rows:
        return pd.DataFrame(columns=tickers, index=pd.DatetimeIndex([], name="date"), dtype=float)
    names = [row[0] for row in rows]
    # Tickers usually share one calendar: split and parse each distinct date string once.
    calendars = {text: np.array(text.split(",")) for text in {row[1] for row in rows}}
    day_names = np.unique(np.concatenate(list(calendars.values())))
    codes = {text: np.searchsorted(day_names, days) for text, days in calendars.items()}
    closes = np.array(",".join(row[2] for row in rows).split(","), dtype=float)
    day_codes = np.concatenate([codes[row[1]] for row in rows])
    ticker_codes = np.repeat(np.arange(len(names)), [len(calendars[row[1]]) for row in rows])
    matrix = np.full((len(day_names), len(names)), np.nan)
    matrix[day_codes, ticker_codes] = closes
    index = pd.DatetimeIndex(pd.to_datetime(day_names, format="ISO8601"), name="date")
    return pd.DataFrame(matrix, index=index, columns=names).sort_index(axis=1)


def fetch_raw(session: Session, query) -> list[tuple]:
    """Run a Core select as driver SQL: plain rows, no per-value result processing (dates
    stay as the driver gives them), still seen by the engine's statement events."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    result = connection.exec_driver_sql(str(compiled), params)
    try:
        return result.cursor.fetchall()  # the driver's own tuples: no Row objects
    finally:
        result.close()


def price_date_ranges(session: Session, tickers: Iterable[str] | None = None) -> dict[str, tuple[dt.date, dt.date]]:
    """First and last stored date per ticker (all tickers, or those given)."""
    query = select(Price.ticker, func.min(Price.date), func.max(Price.date)).group_by(Price.ticker)
    if tickers is not None:
        query = query.where(Price.ticker.in_(sorted(set(tickers))))
    return {ticker: (first, last) for ticker, first, last in session.execute(query)}


def latest_closes(session: Session, tickers: Iterable[str], count: int) -> dict[str, list[tuple[dt.date, float]]]:
    """The latest `count` (date, close) per ticker, newest first: one statement for all the
    tickers (a UNION ALL of index range scans, `count` rows each), not one per ticker."""
    tickers = sorted(set(tickers))
    result: dict[str, list[tuple[dt.date, float]]] = {}
    for begin in range(0, len(tickers), COMPOUND_SELECT_LIMIT):
        parts = [
            select(Price.ticker, Price.date, Price.close)
            .where(Price.ticker == ticker)
            .order_by(Price.date.desc())
            .limit(count)
            .subquery()
            .select()
            for ticker in tickers[begin : begin + COMPOUND_SELECT_LIMIT]
        ]
        for ticker, day, close in session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
            result.setdefault(ticker, []).append((day, close))
    return {ticker: sorted(bars, reverse=True) for ticker, bars in result.items()}


def last_two_closes(session: Session, tickers: Iterable[str]) -> dict[str, list[tuple[dt.date, float]]]:
    """The latest two (date, close) per ticker, newest first (one statement)."""
    return latest_closes(session, tickers, 2)


def recent_closes(session: Session, tickers: Iterable[str], count: int) -> dict[str, list[tuple[dt.date, float]]]:
    """The latest `count` (date, close) per ticker, oldest first (one statement)."""
    return {ticker: bars[::-1] for ticker, bars in latest_closes(session, tickers, count).items()}


def mark_prices_changed(session: Session, ticker: str) -> None:
    """Replace the ticker's price version token (every cached figure valued on it expires)."""
    statement = dialect_insert(session)(PriceVersion).values(ticker=ticker, token=uuid.uuid4().hex)
    session.execute(
        statement.on_conflict_do_update(index_elements=["ticker"], set_={"token": statement.excluded.token})
    )


def price_versions(session: Session, tickers: Iterable[str]) -> dict[str, str]:
    """The version token of each ticker that has one."""
    tickers = sorted(set(tickers))
    if not tickers:
        return {}
    query = select(PriceVersion.ticker, PriceVersion.token).where(PriceVersion.ticker.in_(tickers))
    return dict(session.execute(query).all())


class TickerFacts(NamedTuple):
    name: str | None
    sector: str | None
    source: str | None
    version: str | None  # the PriceVersion token, None when none was recorded


def _facts_statement(*, bundled: bool):
    tickers = bindparam("tickers", expanding=True)
    wanted = Ticker.symbol.in_(tickers) | (Ticker.source == "bundled") if bundled else Ticker.symbol.in_(tickers)
    described = (
        select(Ticker.symbol, Ticker.name, Ticker.sector, Ticker.source, PriceVersion.token)
        .outerjoin(PriceVersion, PriceVersion.ticker == Ticker.symbol)
        .where(wanted)
    )
    # Tickers with prices but no metadata row still have a version.
    bare = select(PriceVersion.ticker, null(), null(), null(), PriceVersion.token).where(
        PriceVersion.ticker.in_(tickers), PriceVersion.ticker.not_in(select(Ticker.symbol))
    )
    return union_all(described, bare)


# Every cached figure reads them: built once (core.db.loop_reads says why).
_FACTS = {bundled: _facts_statement(bundled=bundled) for bundled in (False, True)}


def ticker_facts(session: Session, tickers: Iterable[str], *, bundled: bool = False) -> dict[str, TickerFacts]:
    """Name, sector, source and price version of each ticker given (and, with `bundled`, of
    every bundled ticker: the equal-weight universe), in one statement."""
    rows = session.execute(_FACTS[bundled], {"tickers": sorted(set(tickers))})
    return {row[0]: TickerFacts(*row[1:]) for row in rows}


def dialect_insert(session: Session) -> Callable:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def stored_dates(session: Session, ticker: str, start: dt.date, end: dt.date) -> set[dt.date]:
    query = select(Price.date).where(Price.ticker == ticker, Price.date >= start, Price.date <= end)
    return set(session.scalars(query))


def count_prices(session: Session, ticker: str) -> int:
    return session.scalar(select(func.count()).select_from(Price).where(Price.ticker == ticker)) or 0


def upsert_prices(
    session: Session,
    ticker: str,
    frame: pd.DataFrame,
    *,
    source: str,
    overwrite: bool = False,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Store a price frame (date + OHLCV columns); rows already stored are kept unless overwrite.

    Only dates not yet stored are sent (one indexed query finds them), and the insert is still
    `ON CONFLICT DO NOTHING`, so a concurrent loader cannot make it fail. Returns the number of
    rows inserted (or, with overwrite, inserted or updated).
    """
    if frame.empty:
        return 0
    days = pd.to_datetime(frame["date"]).dt.date
    if not overwrite:
        have = stored_dates(session, ticker, min(days), max(days))
        keep = ~days.isin(have).to_numpy()
        frame, days = frame.loc[keep], days[keep]
        if frame.empty:
            if progress is not None:
                progress(len(keep))
            return 0
    records = [
        {"ticker": ticker, "date": day, "open": o, "high": h, "low": lo, "close": c, "volume": v, "source": source}
        for day, o, h, lo, c, v in zip(
            days,
            *(frame[column].astype(float).tolist() for column in PRICE_COLUMNS),
            strict=True,
        )
    ]
    statement = dialect_insert(session)(Price)
    if overwrite:
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["ticker", "date"],
            set_={column: getattr(excluded, column) for column in [*PRICE_COLUMNS, "source"]},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["ticker", "date"])
    before = 0 if overwrite else count_prices(session, ticker)
    for begin in range(0, len(records), UPSERT_BATCH_ROWS):
        batch = records[begin : begin + UPSERT_BATCH_ROWS]
        session.execute(statement, batch)  # executemany, batched by SQLAlchemy's insertmanyvalues
        if progress is not None:
            progress(len(batch))
    mark_prices_changed(session, ticker)
    return len(records) if overwrite else count_prices(session, ticker) - before


def upsert_ticker(
    session: Session, symbol: str, *, name: str | None, sector: str | None, currency: str, source: str
) -> None:
    """Insert or update a ticker's metadata; a known name/sector is never blanked by a None."""
    insert = dialect_insert(session)
    values = {"symbol": symbol, "name": name, "sector": sector, "currency": currency, "source": source}
    statement = insert(Ticker).values(values)
    updates = {key: getattr(statement.excluded, key) for key in ("name", "sector") if values[key] is not None}
    if updates:
        statement = statement.on_conflict_do_update(index_elements=["symbol"], set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["symbol"])
    session.execute(statement)
    mark_prices_changed(session, symbol)  # names and sectors show in valuations too


def list_ticker_rows(session: Session) -> list[Ticker]:
    return list(session.scalars(select(Ticker).order_by(Ticker.symbol)))


def get_ticker_row(session: Session, symbol: str) -> Ticker | None:
    return session.get(Ticker, symbol)


def known_tickers(session: Session, symbols: Iterable[str]) -> set[str]:
    """The subset of `symbols` with metadata or at least one stored price."""
    symbols = sorted(set(symbols))
    if not symbols:
        return set()
    with_meta = set(session.scalars(select(Ticker.symbol).where(Ticker.symbol.in_(symbols))))
    rest = [symbol for symbol in symbols if symbol not in with_meta]
    with_prices = set(session.scalars(select(Price.ticker).where(Price.ticker.in_(rest)).distinct())) if rest else set()
    return with_meta | with_prices
