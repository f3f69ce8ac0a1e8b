"""Summary and performance on real bundled prices, checked against hand computations."""

from __future__ import annotations

import datetime as dt

import pytest

from core.demo import seed_demo
from core.errors import InvalidInputError, NotFoundError
from core.market.service import get_price_history
from core.portfolio.analytics import measure_performance, summarize_portfolio
from core.portfolio.ledger import record_transaction
from core.portfolio.schemas import TransactionCreate
from tests.factories import make_user

# Real closes from data/prices.csv.gz.
AAPL_2016_12_29, AAPL_2016_12_30 = 116.73, 115.82
MSFT_2016_12_29, MSFT_2016_12_30 = 62.90, 62.14


def _tx(user, session, day, ticker, kind, quantity=0.0, price=0.0, fee=0.0):
    data = TransactionCreate(date=day, ticker=ticker, type=kind, quantity=quantity, price=price, fee=fee)
    return record_transaction(session, owner=user, data=data)


def test_summary_matches_hand_computation(session, load_prices):
    load_prices("AAPL", "MSFT")
    user = make_user(session)
    _tx(user, session, dt.date(2016, 1, 4), "AAPL", "buy", 10, 100, 5)
    _tx(user, session, dt.date(2016, 2, 1), "AAPL", "sell", 4, 110, 5)
    _tx(user, session, dt.date(2016, 3, 1), "MSFT", "buy", 20, 50)
    _tx(user, session, dt.date(2016, 5, 1), "MSFT", "dividend", 20, 0.36)
    summary = summarize_portfolio(session, owner=user)

    aapl_value, msft_value = 6 * AAPL_2016_12_30, 20 * MSFT_2016_12_30
    aapl_cost = 1005 * 6 / 10  # average cost 100.5 per share
    assert summary.market_value == pytest.approx(aapl_value + msft_value)
    assert summary.cost_basis == pytest.approx(aapl_cost + 1000)
    assert summary.unrealized_pnl == pytest.approx(aapl_value + msft_value - aapl_cost - 1000)
    # Sold 4 for 440 − 5 fee against 4 × 100.5 of cost; plus 20 × 0.36 of dividends.
    assert summary.realized_pnl == pytest.approx(435 - 402 + 7.2)
    day_change = 6 * (AAPL_2016_12_30 - AAPL_2016_12_29) + 20 * (MSFT_2016_12_30 - MSFT_2016_12_29)
    assert summary.day_change == pytest.approx(day_change)
    assert summary.as_of == dt.date(2016, 12, 30)

    holdings = {h.ticker: h for h in summary.holdings}
    assert holdings["AAPL"].weight == pytest.approx(aapl_value / (aapl_value + msft_value))
    assert sum(h.weight for h in summary.holdings) == pytest.approx(1.0)
    assert summary.allocation_by_sector == {"Information Technology": pytest.approx(1.0)}
    assert holdings["MSFT"].name == "Microsoft Corp." and holdings["MSFT"].last_price == MSFT_2016_12_30


def test_empty_portfolio(session):
    user = make_user(session)
    summary = summarize_portfolio(session, owner=user)
    assert summary.market_value == 0 and summary.holdings == [] and summary.as_of is None
    report = measure_performance(session, owner=user)
    assert report.twr is None and report.series == []


def test_single_stock_performance_equals_its_price_return(session, load_prices):
    load_prices("KO", "JNJ")
    user = make_user(session)
    history = get_price_history(session, ticker="KO", start=dt.date(2015, 1, 2), end=dt.date(2015, 12, 31))
    first_close, last_close = history["close"].iloc[0], history["close"].iloc[-1]
    _tx(user, session, dt.date(2015, 1, 2), "KO", "buy", 100, first_close)

    report = measure_performance(session, owner=user, end=dt.date(2015, 12, 31), benchmark="KO")
    assert report.twr == pytest.approx(last_close / first_close - 1)
    assert report.end_value == pytest.approx(100 * last_close)
    assert report.benchmark_twr == pytest.approx(report.twr)
    assert report.beta == pytest.approx(1.0)
    assert len(report.series) == len(history)
    # Buying on day one and holding for the year: XIRR is the price return, annualised over 363 days.
    assert report.xirr == pytest.approx((last_close / first_close) ** (365 / 363) - 1, rel=1e-6)
    running_peak = history["close"].cummax()
    assert report.max_drawdown == pytest.approx((history["close"] / running_peak - 1).min())
    assert 0.05 < report.volatility < 0.5

    jnj = measure_performance(session, owner=user, end=dt.date(2015, 12, 31), benchmark="JNJ")
    assert jnj.benchmark == "JNJ" and -1 < jnj.beta < 2


def test_period_slicing_counts_the_opening_value(session, load_prices):
    load_prices("MSFT")
    user = make_user(session)
    _tx(user, session, dt.date(2014, 1, 2), "MSFT", "buy", 10, 37.16)
    history = get_price_history(session, ticker="MSFT", start=dt.date(2015, 12, 31), end=dt.date(2016, 12, 30))
    report = measure_performance(session, owner=user, start=dt.date(2016, 1, 1), end=dt.date(2016, 12, 31))
    assert report.start_value == pytest.approx(10 * history["close"].iloc[0])
    assert report.twr == pytest.approx(history["close"].iloc[-1] / history["close"].iloc[0] - 1)
    assert report.start == dt.date(2016, 1, 4)


def test_performance_errors(session, load_prices):
    load_prices("AAPL")
    user = make_user(session)
    _tx(user, session, dt.date(2016, 1, 4), "AAPL", "buy", 1, 100)
    with pytest.raises(NotFoundError, match="QQQQ"):
        measure_performance(session, owner=user, benchmark="QQQQ")
    with pytest.raises(InvalidInputError, match="outside"):
        measure_performance(session, owner=user, start=dt.date(1, 1, 1))
    with pytest.raises(InvalidInputError, match="after"):
        measure_performance(session, owner=user, start=dt.date(2016, 5, 1), end=dt.date(2016, 1, 1))


def test_demo_portfolio_on_the_whole_universe(session, settings):
    user = seed_demo(session, settings=settings)
    assert seed_demo(session, settings=settings).id == user.id  # idempotent
    summary = summarize_portfolio(session, owner=user)
    assert {h.ticker for h in summary.holdings} == {"AAPL", "GOOGL", "HD", "JNJ", "JPM", "KO", "MSFT"}
    assert summary.market_value > summary.cost_basis > 0
    report = measure_performance(session, owner=user, benchmark="equal_weight")
    assert report.benchmark == "EQUAL_WEIGHT" and report.benchmark_twr is not None
    assert -1 < report.twr < 2 and -1 < report.xirr < 1 and report.max_drawdown < 0
    assert 0 < report.beta < 2 and report.sharpe is not None
