"""Which activities the stored prices can value: known tickers and dates inside their range.

One rule everywhere (form, API, CSV, CLI): a ticker with no stored price is refused with
`unknown_ticker_message`, and an activity dated before a ticker's first stored close or after
its last one is refused naming both dates. With a live provider (`DATA_PROVIDER=yfinance`)
passed as `provider`, an unknown ticker's history is fetched and stored first, and a date
after the last stored close triggers a fetch of the missing days; offline (the provider
refusing) the activity is refused as above, with the provider's reason in `details`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.tables import Price
from core.errors import CoreError, InvalidInputError
from core.market import repository
from core.market.providers import PriceProvider, create_provider
from core.market.service import fetch_and_store

PriceRanges = dict[str, tuple[dt.date, dt.date]]


def unknown_ticker_message(ticker: str) -> str:
    return f"unknown ticker {ticker}: no prices are stored for it; load, import or refresh its prices first"


def live_provider(settings: Settings) -> PriceProvider | None:
    """The provider that can fetch unknown tickers on demand, or None for the bundled data."""
    if settings.data_provider == "bundled":
        return None
    return create_provider(settings.data_provider, settings=settings)


def last_price_date(session: Session, ticker: str | None = None) -> dt.date | None:
    """The last stored close of `ticker` (of any ticker when None): the default activity date."""
    query = select(func.max(Price.date))
    if ticker is not None:
        query = query.where(Price.ticker == ticker)
    return session.scalar(query)


def close_on(session: Session, ticker: str, day: dt.date) -> float | None:
    """The close on `day`, or on the last trading day before it (what valuation uses)."""
    query = select(Price.close).where(Price.ticker == ticker, Price.date <= day).order_by(Price.date.desc())
    return session.scalar(query.limit(1))


def _fetch(session: Session, provider: PriceProvider, ticker: str, start: dt.date | None) -> str | None:
    """Fetch and store; the provider's reason when it cannot."""

    try:
        fetch_and_store(session, provider=provider, ticker=ticker, start=start)
    except CoreError as exc:
        return exc.message
    return None


def ensure_priced(
    session: Session, *, wanted: Iterable[tuple[str, dt.date]], provider: PriceProvider | None = None
) -> tuple[PriceRanges, dict[str, str]]:
    """Stored price ranges of the tickers in `wanted` ((ticker, date) pairs), fetching from
    `provider` what is missing; also the provider's reasons for tickers it could not fetch."""
    latest: dict[str, dt.date] = {}
    for ticker, day in wanted:
        latest[ticker] = max(day, latest.get(ticker, day))
    ranges = repository.price_date_ranges(session, tickers=latest) if latest else {}
    reasons: dict[str, str] = {}
    if provider is None:
        return ranges, reasons
    for ticker, day in sorted(latest.items()):
        stored = ranges.get(ticker)
        if stored is None or day > stored[1]:
            reason = _fetch(session, provider, ticker, stored[1] + dt.timedelta(days=1) if stored else None)
            if reason:
                reasons[ticker] = reason
    return repository.price_date_ranges(session, tickers=latest), reasons


def date_problem(ticker: str | None, day: dt.date, ranges: PriceRanges, overall_last: dt.date | None) -> str | None:
    """Why `day` cannot be valued for `ticker` (None when it can)."""
    if ticker is None:
        if overall_last is not None and day > overall_last:
            return f"{day} is after the last stored price ({overall_last}): the portfolio is valued up to then"
        return None
    if ticker not in ranges:
        return unknown_ticker_message(ticker)
    first, last = ranges[ticker]
    if day < first:
        return f"{day} is before the first stored price of {ticker} ({first})"
    if day > last:
        return f"{day} is after the last stored price of {ticker} ({last}); refresh its prices first"
    return None


def check_priced(
    session: Session, *, items: list[tuple[str | None, dt.date]], provider: PriceProvider | None = None
) -> list[str | None]:
    """One problem (or None) per (ticker, date) item, after fetching what `provider` can."""
    ranges, reasons = ensure_priced(
        session, wanted=[(ticker, day) for ticker, day in items if ticker], provider=provider
    )
    overall_last = last_price_date(session)
    problems = []
    for ticker, day in items:
        problem = date_problem(ticker, day, ranges, overall_last)
        if problem and ticker in reasons and ticker not in ranges:
            problem = f"{problem} ({reasons[ticker]})"
        problems.append(problem)
    return problems


def require_priced(
    session: Session, *, ticker: str | None, day: dt.date, provider: PriceProvider | None = None
) -> None:
    """InvalidInputError when one activity's ticker or date cannot be valued."""
    (problem,) = check_priced(session, items=[(ticker, day)], provider=provider)
    if problem:
        column = "ticker" if problem.startswith("unknown ticker") else "date"
        message = unknown_ticker_message(ticker) if column == "ticker" and ticker else problem
        raise InvalidInputError(message, details=[{"column": column, "reason": problem}])
