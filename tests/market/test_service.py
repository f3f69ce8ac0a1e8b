"""The price store: idempotent loads, incremental refresh, histories, metadata, uploads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, event, func, select, text

from core.db.tables import Price, Role
from core.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from core.market.providers import create_provider
from core.market.service import (
    get_price_history,
    get_ticker,
    import_price_csv,
    list_tickers,
    refresh_prices,
)
from tests.factories import make_user


def _count(session, ticker: str) -> int:
    return session.scalar(select(func.count()).select_from(Price).where(Price.ticker == ticker))


def test_loading_twice_changes_nothing(session, load_prices):
    assert load_prices("AAPL", "KO") == 2 * 982
    assert load_prices("AAPL", "KO") == 0
    assert _count(session, "AAPL") == 982 and _count(session, "KO") == 982


def test_refresh_fetches_only_missing_dates(session, settings, load_prices):
    load_prices("MSFT", "JPM")
    session.execute(delete(Price).where(Price.ticker == "MSFT", Price.date > dt.date(2016, 12, 15)))
    report = refresh_prices(session, settings=settings, tickers=["MSFT", "JPM"])
    assert report.provider == "bundled" and report.errors == {}
    by_ticker = {item.ticker: item for item in report.tickers}
    assert by_ticker["MSFT"].rows_added == 10 and by_ticker["JPM"].rows_added == 0
    assert by_ticker["MSFT"].last_date == dt.date(2016, 12, 30)
    assert _count(session, "MSFT") == 982


def test_refresh_failure_keeps_stored_prices(session, settings, load_prices):
    load_prices("GE")
    provider = create_provider("yfinance", settings=settings)  # settings.offline is True in tests
    report = refresh_prices(session, settings=settings, tickers=["GE", "KO"], provider=provider)
    assert report.rows_added == 0
    assert "GE" in report.errors and "OFFLINE" in report.errors["GE"]
    assert report.errors["KO"].startswith("skipped: ") and report.tickers[0].unreachable
    assert get_price_history(session, ticker="GE")["close"].iloc[-1] > 0


def test_refresh_unknown_ticker_is_reported_not_raised(session, settings):
    report = refresh_prices(session, settings=settings, tickers=["ZZZZ"])
    assert "ZZZZ" in report.errors["ZZZZ"]


def test_history_range_and_errors(session, load_prices):
    load_prices("AAPL")
    frame = get_price_history(session, ticker="aapl", start=dt.date(2016, 1, 1), end=dt.date(2016, 1, 31))
    assert frame.index.name == "date" and list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.min() == dt.datetime(2016, 1, 4) and len(frame) == 19
    with pytest.raises(NotFoundError, match="NOPE"):
        get_price_history(session, ticker="NOPE")
    with pytest.raises(NotFoundError, match="AAPL"):
        get_price_history(session, ticker="AAPL", start=dt.date(2020, 1, 1))


def test_history_is_one_indexed_query(session, load_prices):
    load_prices("AAPL")
    statements: list[str] = []
    connection = session.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listener)
    try:
        frame = get_price_history(session, ticker="AAPL", start=dt.date(2012, 1, 1))
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert len(frame) == 982 and len(statements) == 1
    if connection.dialect.name == "sqlite":
        plan = session.execute(
            text("EXPLAIN QUERY PLAN SELECT date, close FROM price WHERE ticker = 'AAPL' AND date >= '2012-01-01'")
        ).all()
        assert "USING INDEX" in str(plan) and "ticker=? AND date>?" in str(plan)


def test_ticker_metadata(session, load_prices):
    load_prices("JNJ")
    jnj = next(item for item in list_tickers(session) if item.symbol == "JNJ")
    assert jnj.name == "Johnson & Johnson" and jnj.sector == "Health Care"
    assert jnj.first_date == dt.date(2013, 2, 8) and jnj.last_date == dt.date(2016, 12, 30)
    assert get_ticker(session, ticker="jnj").symbol == "JNJ"
    with pytest.raises(NotFoundError, match="QQQQ"):
        get_ticker(session, ticker="QQQQ")


def test_price_upload_all_or_nothing(session, settings):
    user = make_user(session)
    bad = "date,ticker,open,high,low,close,volume\n2017-01-03,UPL,1,2,0.5,1.5,10\n2017-01-04,UPL,x,2,0.5,1.5,10\n"
    with pytest.raises(InvalidInputError) as caught:
        import_price_csv(session, user=user, content=bad, settings=settings)
    assert caught.value.details == [{"row": 3, "column": "open", "reason": "'x' is not a number"}]
    assert _count(session, "UPL") == 0

    good = "date,open,high,low,close\n2017-01-03,1,2,0.5,1.5\n2017-01-04,1.5,2,1,1.8\n"
    result = import_price_csv(session, user=user, content=good, ticker="upl", settings=settings)
    assert result.tickers == ["UPL"] and result.rows_imported == 2
    again = "date,open,high,low,close\n2017-01-04,1.5,2,1,1.9\n"
    import_price_csv(session, user=user, content=again, ticker="UPL", settings=settings)
    assert get_price_history(session, ticker="UPL")["close"].tolist() == [1.5, 1.9]


def test_only_admins_add_or_change_bars_of_a_ticker_with_stored_prices(session, settings):
    admin, analyst = make_user(session, role=Role.ADMIN), make_user(session, role=Role.ANALYST)
    stored = "date,open,high,low,close\n2017-01-03,1,2,0.5,1.5\n2017-01-04,1.5,2,1,1.9\n"
    import_price_csv(session, user=admin, content=stored, ticker="UPL", settings=settings)
    tampered = "date,open,high,low,close\n2017-01-04,1.5,2,0.1,0.2\n2017-01-05,1.8,2,1,1.7\n"
    with pytest.raises(PermissionDeniedError, match=r"UPL already has stored prices.*only an admin"):
        import_price_csv(session, user=analyst, content=tampered, ticker="UPL", settings=settings)
    assert get_price_history(session, ticker="UPL")["close"].tolist() == [1.5, 1.9]  # neither changed nor added
    # A file mixing a new ticker with a stored one is refused whole.
    mixed = "date,ticker,open,high,low,close\n2017-01-05,NEWT,1,2,0.5,1.5\n2017-01-05,UPL,1.8,2,1,1.7\n"
    with pytest.raises(PermissionDeniedError, match="UPL"):
        import_price_csv(session, user=analyst, content=mixed, settings=settings)
    assert _count(session, "NEWT") == 0
    # A ticker nobody has prices for is the analyst's to bring; adding to it later is an admin's.
    assert (
        import_price_csv(session, user=analyst, content=tampered, ticker="NEWT", settings=settings).rows_imported == 2
    )
    with pytest.raises(PermissionDeniedError, match="NEWT"):
        import_price_csv(session, user=analyst, content=stored, ticker="NEWT", settings=settings)
    assert import_price_csv(session, user=admin, content=tampered, ticker="UPL", settings=settings).rows_imported == 2
    assert get_price_history(session, ticker="UPL")["close"].tolist() == [1.5, 0.2, 1.7]  # the admin's replace
    viewer = make_user(session, role=Role.VIEWER)
    with pytest.raises(PermissionDeniedError, match="read-only"):
        import_price_csv(session, user=viewer, content=stored, ticker="VIEW", settings=settings)


def test_wide_closes_match_each_history(session, load_prices):
    from core.market.repository import read_closes

    load_prices("AAPL", "KO", "GOOGL")
    session.execute(delete(Price).where(Price.ticker == "KO", Price.date == dt.date(2016, 6, 15)))
    wide = read_closes(session, ["KO", "AAPL", "GOOGL", "NONE"], start=dt.date(2016, 6, 1), end=dt.date(2016, 6, 30))
    assert list(wide.columns) == ["AAPL", "GOOGL", "KO"] and wide.index.name == "date"
    assert len(wide) == 22 and np.isnan(wide.at[pd.Timestamp("2016-06-15"), "KO"])
    for ticker in wide.columns:
        history = get_price_history(session, ticker=ticker, start=dt.date(2016, 6, 1), end=dt.date(2016, 6, 30))
        column = wide[ticker].dropna()
        assert column.index.equals(history.index)
        assert column.to_numpy() == pytest.approx(history["close"].to_numpy(), rel=1e-14)
