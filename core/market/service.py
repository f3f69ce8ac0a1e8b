"""Market-data use cases: load the bundled prices, refresh from the configured provider,
import a user's price file, and read histories and ticker metadata.

Every function takes the caller's `session` and never commits: the CLI, the job runner or
the API request owns the unit of work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import pandas as pd
from sqlalchemy.orm import Session

from core.auth.permissions import ensure_can_write, is_admin
from core.config import Settings
from core.db.loop_reads import bounded_read
from core.db.session import OneSession, ShortUnits
from core.db.tables import User
from core.errors import CoreError, NotFoundError, PermissionDeniedError, ServiceUnavailableError
from core.logs import time_execution
from core.market import repository
from core.market.providers import PriceProvider, create_provider
from core.market.providers.bundled import BundledProvider
from core.market.schemas import (
    PriceBar,
    PriceHistoryRead,
    PriceImportResult,
    RefreshReport,
    TickerRead,
    TickerRefresh,
)
from core.market.tickers import normalise_ticker

logger = logging.getLogger(__name__)

Progress = Callable[[int], object]


def _store(
    session: Session,
    provider: PriceProvider,
    ticker: str,
    frame: pd.DataFrame,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> int:
    stored = repository.get_ticker_row(session, ticker)
    # Metadata may cost a network call: ask only for tickers we know nothing about yet.
    info = provider.describe(ticker) if stored is None or stored.name is None else None
    repository.upsert_ticker(
        session,
        ticker,
        name=info.name if info else None,
        sector=info.sector if info else None,
        currency=info.currency if info else (stored.currency if stored else "USD"),
        source=provider.name,
    )
    return repository.upsert_prices(
        session, ticker, frame, source=provider.name, overwrite=overwrite, progress=progress
    )


def fetch_and_store(session: Session, *, provider: PriceProvider, ticker: str, start: dt.date | None = None) -> int:
    """Fetch `ticker`'s bars from `start` (default: the provider's full history) and store them
    with its metadata; returns rows added. Provider errors propagate as CoreErrors."""
    ticker = normalise_ticker(ticker)
    frame = provider.fetch_history(ticker, start=start)
    with session.begin_nested():
        return _store(session, provider, ticker, frame)


def load_bundled_prices(
    session: Session, *, settings: Settings, tickers: list[str] | None = None, progress: Progress | None = None
) -> int:
    """Upsert the bundled prices (all tickers, or `tickers`) and their metadata; idempotent.

    Returns the number of rows inserted (0 when everything was already stored).
    `progress` is called with the number of rows handled after each batch.
    """
    provider = BundledProvider(settings=settings)
    prices = provider.prices_by_ticker()
    wanted = [normalise_ticker(t) for t in tickers] if tickers else sorted(prices)
    for ticker in wanted:
        if ticker not in prices:
            raise NotFoundError(f"ticker {ticker} is not in the bundled data")
    written = 0
    for ticker in wanted:
        written += _store(session, provider, ticker, prices[ticker], progress=progress)
    logger.info("bundled prices loaded", extra={"rows": written, "tickers": len(wanted)})
    return written


def bundled_row_count(settings: Settings, tickers: list[str] | None = None) -> int:
    """How many rows `load_bundled_prices` will look at (for progress bars)."""
    prices = BundledProvider(settings=settings).prices_by_ticker()
    return sum(len(frame) for ticker, frame in prices.items() if not tickers or ticker in tickers)


@time_execution
def refresh_prices(
    session: Session,
    *,
    settings: Settings,
    tickers: list[str] | None = None,
    progress: Progress | None = None,
    provider: PriceProvider | None = None,
) -> RefreshReport:
    """Fetch only the dates after each ticker's last stored day, from `settings.data_provider`,
    inside the caller's unit of work (each ticker in a savepoint).

    Errors are collected per ticker (the stored prices stay as they are), never raised.
    What follows a refresh (price alerts, realised scores) is `core.jobs.refresh`'s to run.
    """
    on_ticker = None if progress is None else (lambda _item: progress(1))
    return refresh_prices_in_units(
        OneSession(session), settings=settings, tickers=tickers, on_ticker=on_ticker, provider=provider
    )


def refresh_prices_in_units(
    units: ShortUnits,
    *,
    settings: Settings,
    tickers: list[str] | None = None,
    on_ticker: Callable[[TickerRefresh], object] | None = None,
    provider: PriceProvider | None = None,
) -> RefreshReport:
    """`refresh_prices` for long runs: each ticker fetched outside any transaction and stored
    in its own short unit of work (a concurrent writer waits a moment at most); `on_ticker`
    hears each ticker's outcome. Interrupted, it keeps what it stored: the next refresh
    fetches only what is still missing."""
    provider = provider or create_provider(settings.data_provider, settings=settings)
    with units.read() as session:
        ranges = repository.price_date_ranges(session)
    if tickers:
        wanted = [normalise_ticker(t) for t in tickers]
    else:
        wanted = sorted(set(ranges) | {info.symbol for info in provider.list_tickers()})
    report = RefreshReport(provider=provider.name)
    unreachable: str | None = None
    for ticker in wanted:
        last = ranges.get(ticker, (None, None))[1]
        if unreachable is None:
            item = _refresh_in_unit(units, provider, ticker, last)
        else:  # the source is down: don't wait out a timeout per ticker
            item = TickerRefresh(ticker=ticker, last_date=last, error=f"skipped: {unreachable}")
        report.tickers.append(item)
        report.rows_added += item.rows_added
        if item.unreachable and unreachable is None:
            unreachable = item.error
        if on_ticker is not None:
            on_ticker(item)
    return report


def _refresh_in_unit(units: ShortUnits, provider: PriceProvider, ticker: str, last: dt.date | None) -> TickerRefresh:
    start = last + dt.timedelta(days=1) if last else None
    try:
        frame = provider.fetch_history(ticker, start=start)  # the network, outside any transaction
        added = units.write(lambda session: _store(session, provider, ticker, frame))
    except CoreError as exc:
        logger.warning("refresh failed; stored prices kept", extra={"ticker": ticker, "error": exc.message})
        unreachable = isinstance(exc, ServiceUnavailableError)
        return TickerRefresh(ticker=ticker, last_date=last, error=exc.message, unreachable=unreachable)
    new_last = frame["date"].max().date() if not frame.empty else last
    return TickerRefresh(ticker=ticker, rows_added=added, last_date=new_last)


def import_price_csv(
    session: Session, *, user: User, content: bytes | str, ticker: str | None = None, settings: Settings
) -> PriceImportResult:
    """Validate a price file row by row and store it all, or raise InvalidInputError and store nothing.

    Prices are shared by every user: every portfolio holding a ticker is valued on its bars.
    So an admin's upload adds bars and replaces stored ones for the same (ticker, date); an
    analyst's may only bring tickers that have no stored prices yet, and a file touching a
    ticker with stored prices is refused whole (PermissionDeniedError naming the tickers), so
    no analyst can move the value of anyone else's holdings. Viewers cannot upload.
    """
    ensure_can_write(user)
    provider = create_provider("csv", settings=settings, content=content, ticker=ticker)
    symbols = [info.symbol for info in provider.list_tickers()]
    if not is_admin(user):
        ensure_new_tickers(session, symbols)
    written = 0
    with session.begin_nested():
        for symbol in symbols:
            written += _store(session, provider, symbol, provider.fetch_history(symbol), overwrite=is_admin(user))
    return PriceImportResult(tickers=symbols, rows_imported=written)


def ensure_new_tickers(session: Session, symbols: list[str]) -> None:
    """Refuse a non-admin's prices for tickers that already have stored bars (see above)."""
    shared = sorted(repository.price_date_ranges(session, tickers=symbols))
    if shared:
        raise PermissionDeniedError(
            f"{', '.join(shared)} already {'has' if len(shared) == 1 else 'have'} stored prices, which every "
            "portfolio holding them is valued on: only an admin can add or change their bars. "
            "You can import prices for a ticker that has none yet."
        )


def get_price_history(
    session: Session, *, ticker: str, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Stored bars (DatetimeIndex `date`; open, high, low, close, volume); NotFoundError if none."""
    ticker = normalise_ticker(ticker)
    frame = repository.read_price_history(session, ticker, start, end)
    if frame.empty:
        if not repository.known_tickers(session, [ticker]):
            raise NotFoundError(f"no prices stored for ticker {ticker}; load or refresh prices first")
        raise NotFoundError(f"no prices for ticker {ticker} between {start or 'the start'} and {end or 'today'}")
    return frame


def list_tickers(session: Session) -> list[TickerRead]:
    """Every ticker with metadata or prices, with the stored date range."""
    ranges = repository.price_date_ranges(session)
    rows = {row.symbol: row for row in repository.list_ticker_rows(session)}
    result = []
    for symbol in sorted(set(rows) | set(ranges)):
        row = rows.get(symbol)
        first, last = ranges.get(symbol, (None, None))
        result.append(
            TickerRead(
                symbol=symbol,
                name=row.name if row else None,
                sector=row.sector if row else None,
                currency=row.currency if row else "USD",
                first_date=first,
                last_date=last,
            )
        )
    return result


@bounded_read
def get_ticker(session: Session, *, ticker: str) -> TickerRead:
    """One ticker's metadata and stored range; NotFoundError naming it when unknown."""
    ticker = normalise_ticker(ticker)
    row = repository.get_ticker_row(session, ticker)
    first, last = repository.price_date_ranges(session, tickers=[ticker]).get(ticker, (None, None))
    if row is None and first is None:
        raise NotFoundError(f"unknown ticker {ticker}: no metadata or prices stored")
    return TickerRead(
        symbol=ticker,
        name=row.name if row else None,
        sector=row.sector if row else None,
        currency=row.currency if row else "USD",
        first_date=first,
        last_date=last,
    )


def get_price_bars(
    session: Session, *, ticker: str, start: dt.date | None = None, end: dt.date | None = None
) -> PriceHistoryRead:
    """The stored history as a JSON-ready schema (for the API)."""
    frame = get_price_history(session, ticker=ticker, start=start, end=end)
    meta = repository.get_ticker_row(session, normalise_ticker(ticker))
    bars = [
        PriceBar(date=day.date(), open=o, high=h, low=lo, close=c, volume=v)
        for day, o, h, lo, c, v in zip(
            frame.index, *(frame[column].tolist() for column in repository.PRICE_COLUMNS), strict=True
        )
    ]
    return PriceHistoryRead(
        ticker=normalise_ticker(ticker),
        name=meta.name if meta else None,
        currency=meta.currency if meta else "USD",
        prices=bars,
    )
