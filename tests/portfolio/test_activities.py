"""Activities end to end on real bundled prices: recording, editing and deleting re-validate
the whole ledger, dates and tickers follow the stored prices, and the figures (cash, closed
positions, income, the summary) match hand computations from the raw closes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core.config import Settings
from core.errors import InvalidInputError, NotFoundError
from core.market.providers.base import PriceProvider, TickerInfo
from core.market.providers.yahoo import YFinanceProvider
from core.market.service import get_price_history
from core.portfolio.activities import delete_activity, list_activities, record_activity, update_activity
from core.portfolio.analytics import measure_performance, summarize_portfolio
from core.portfolio.cash import cash_balance
from core.portfolio.closed import list_closed_positions
from core.portfolio.holdings import add_holding
from core.portfolio.income import income_by_period
from core.portfolio.pricing import unknown_ticker_message
from core.portfolio.schemas import ActivityCreate, ActivityUpdate, StockCreate
from tests.factories import make_user


def act(session, user, day, kind, ticker=None, quantity=0.0, price=0.0, fee=0.0, amount=0.0, provider=None):
    data = ActivityCreate(date=day, ticker=ticker, type=kind, quantity=quantity, price=price, fee=fee, amount=amount)
    return record_activity(session, owner=user, data=data, provider=provider)


def close(session, ticker, day):
    return float(get_price_history(session, ticker=ticker, start=day, end=day)["close"].iloc[0])


def test_buy_more_sell_part_and_close_match_a_hand_computation(session, load_prices):
    load_prices("KO", "JNJ")
    user = make_user(session)
    d1, d2, d3, d4 = dt.date(2015, 3, 2), dt.date(2015, 6, 1), dt.date(2016, 2, 1), dt.date(2016, 3, 1)
    act(session, user, d1, "buy", "KO", 100, 42.0, 5)
    act(session, user, d2, "buy", "KO", 50, 40.0, 5)  # buy more
    act(session, user, d3, "sell", "KO", 60, 43.0, 5)  # sell part
    act(session, user, d1, "buy", "JNJ", 10, 100.0)
    act(session, user, d4, "sell", "JNJ", 10, 105.0, 2)  # close JNJ
    act(session, user, dt.date(2016, 4, 1), "dividend", "KO", amount=31.5)

    avg = (4205 + 2005) / 150  # average cost per KO share, fees included
    ko_realised = (60 * 43 - 5) - 60 * avg + 31.5
    jnj_realised = (10 * 105 - 2) - 1000
    last = close(session, "KO", dt.date(2016, 12, 30))
    summary = summarize_portfolio(session, owner=user)
    (holding,) = summary.holdings
    assert holding.ticker == "KO" and holding.quantity == 90
    assert holding.market_value == pytest.approx(90 * last)
    assert holding.cost_basis == pytest.approx(90 * avg)
    assert holding.realized_pnl == pytest.approx(ko_realised)
    (closed,) = list_closed_positions(session, owner=user)
    assert (closed.ticker, closed.quantity_bought, closed.quantity_sold) == ("JNJ", 10, 10)
    assert closed.realized_pnl == pytest.approx(jnj_realised)
    assert (closed.opened_at, closed.closed_at) == (d1, d4)
    # Holdings' realised + closed positions' realised = the KPI, to the cent.
    assert round(holding.realized_pnl + closed.realized_pnl, 2) == round(summary.realized_pnl, 2)
    assert summary.realized_pnl_closed == pytest.approx(jnj_realised)
    assert summary.total_pnl == pytest.approx(90 * last - 90 * avg + ko_realised + jnj_realised)
    # No deposits: cash is the net of the trades (minus the money put in).
    cash = cash_balance(session, owner=user)
    assert not cash.tracked
    assert cash.balance == pytest.approx(-4205 - 2005 + 2575 - 1000 + 1048 + 31.5)


def test_an_edit_that_makes_a_later_sell_an_oversell_is_refused_with_its_date(session, load_prices):
    load_prices("MSFT")
    user = make_user(session)
    first = act(session, user, dt.date(2016, 1, 4), "buy", "MSFT", 10, 54.8)
    act(session, user, dt.date(2016, 2, 1), "buy", "MSFT", 5, 54.7)
    act(session, user, dt.date(2016, 6, 1), "sell", "MSFT", 12, 52.9)
    with pytest.raises(InvalidInputError, match="cannot sell 12 MSFT on 2016-06-01: only 8 held then"):
        update_activity(session, owner=user, activity_id=first.id, data=ActivityUpdate(quantity=3))
    with pytest.raises(InvalidInputError, match=r"deleting the buy of 2016-01-04 is refused.*2016-06-01"):
        delete_activity(session, owner=user, activity_id=first.id)
    assert [a.quantity for a in list_activities(session, owner=user)] == [10, 5, 12]  # nothing rewritten

    update_activity(session, owner=user, activity_id=first.id, data=ActivityUpdate(quantity=20, price=55.0))
    assert (list_activities(session, owner=user)[0].quantity, list_activities(session, owner=user)[0].price) == (
        20,
        55.0,
    )
    summary = summarize_portfolio(session, owner=user)
    assert summary.holdings[0].quantity == 13
    with pytest.raises(NotFoundError):
        update_activity(session, owner=make_user(session), activity_id=first.id, data=ActivityUpdate(quantity=1))


def test_dates_follow_the_stored_prices(session, load_prices):
    load_prices("AAPL")
    user = make_user(session)
    with pytest.raises(InvalidInputError, match=r"2017-01-03 is after the last stored price of AAPL \(2016-12-30\)"):
        act(session, user, dt.date(2017, 1, 3), "buy", "AAPL", 1, 100)
    with pytest.raises(InvalidInputError, match=r"before the first stored price of AAPL \(2013-02-08\)"):
        act(session, user, dt.date(2013, 1, 2), "buy", "AAPL", 1, 100)
    with pytest.raises(InvalidInputError, match="after the last stored price"):
        act(session, user, dt.date(2017, 1, 3), "deposit", amount=100)
    # A weekend buy is valued at the Friday close (the close on or before the date).
    entry = act(session, user, dt.date(2016, 12, 24), "buy", "AAPL", 1, 116.0)
    assert entry.date == dt.date(2016, 12, 24)


def test_unknown_tickers_are_refused_with_one_message(session, settings):
    user = make_user(session)
    message = unknown_ticker_message("ZZZZ")
    with pytest.raises(InvalidInputError) as caught:
        act(session, user, dt.date(2016, 1, 4), "buy", "ZZZZ", 1, 1)
    assert caught.value.message == message
    with pytest.raises(InvalidInputError) as caught:
        add_holding(session, owner=user, data=StockCreate(ticker="ZZZZ", quantity=1, avg_cost=1))
    assert caught.value.message == message
    # The live provider, offline: refused the same way, its reason in the details.
    offline = YFinanceProvider(settings=Settings(offline=True, database_url=settings.database_url))
    with pytest.raises(InvalidInputError) as caught:
        act(session, user, dt.date(2016, 1, 4), "buy", "ZZZZ", 1, 1, provider=offline)
    assert caught.value.message == message and "OFFLINE" in caught.value.details[0]["reason"]


class FakeProvider(PriceProvider):
    """A local stand-in for a live source: serves ZZZZ closes 10, 11, … on 2016 business days."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dt.date | None]] = []

    def list_tickers(self) -> list[TickerInfo]:
        return []

    def describe(self, ticker: str) -> TickerInfo:
        return TickerInfo(symbol=ticker, name="Zed Corp.", sector="Industrials")

    def _fetch(self, ticker, start, end):
        self.calls.append((ticker, start))
        days = pd.bdate_range("2016-01-04", "2016-12-30")
        closes = [10.0 + i for i in range(len(days))]
        return pd.DataFrame(
            {"date": days, "open": closes, "high": closes, "low": closes, "close": closes, "volume": 1.0}
        )


def test_a_live_provider_fetches_an_unknown_ticker_before_accepting(session):
    user = make_user(session)
    provider = FakeProvider()
    act(session, user, dt.date(2016, 1, 5), "buy", "ZZZZ", 2, 11.0, provider=provider)
    assert provider.calls == [("ZZZZ", None)]
    summary = summarize_portfolio(session, owner=user)
    last = 10.0 + len(pd.bdate_range("2016-01-04", "2016-12-30")) - 1
    assert summary.holdings[0].last_price == last and summary.holdings[0].name == "Zed Corp."
    # Now stored: the next activity needs no fetch.
    act(session, user, dt.date(2016, 2, 1), "buy", "ZZZZ", 1, 30.0, provider=provider)
    assert len(provider.calls) == 1


def test_cash_with_deposits_and_withdrawals(session, load_prices):
    load_prices("PG")
    user = make_user(session)
    act(session, user, dt.date(2016, 1, 4), "deposit", amount=5000)
    buy_price = close(session, "PG", dt.date(2016, 1, 4))
    act(session, user, dt.date(2016, 1, 4), "buy", "PG", 40, buy_price, 5)
    with pytest.raises(InvalidInputError, match=r"cash would be −\$.* at the end of 2016-02-01"):
        act(session, user, dt.date(2016, 2, 1), "withdrawal", amount=5000)
    act(session, user, dt.date(2016, 3, 1), "dividend", "PG", amount=26.8)
    act(session, user, dt.date(2016, 3, 2), "fee", "PG", amount=2.5)
    act(session, user, dt.date(2016, 6, 1), "sell", "PG", 10, 80.0, 5)
    act(session, user, dt.date(2016, 7, 1), "withdrawal", amount=1000)
    expected = 5000 - (40 * buy_price + 5) + 26.8 - 2.5 + 795 - 1000
    cash = cash_balance(session, owner=user)
    assert cash.tracked and cash.balance == pytest.approx(expected)
    summary = summarize_portfolio(session, owner=user)
    assert summary.cash == pytest.approx(expected) and summary.net_deposits == 4000
    assert summary.total_value == pytest.approx(summary.market_value + expected)
    # P&L is what the money put in became: total value − net deposits.
    assert summary.total_pnl == pytest.approx(summary.total_value - 4000)
    # Deleting the deposit would leave every later buy (and the withdrawal) unfunded.
    deposit = list_activities(session, owner=user)[0]
    with pytest.raises(InvalidInputError, match="deleting the deposit of 2016-01-04 is refused: cash would be"):
        delete_activity(session, owner=user, activity_id=deposit.id)

    income = income_by_period(session, owner=user, freq="M")
    assert [(p.period, p.dividends, p.fees, p.commissions) for p in income.periods] == [
        ("2016-01", 0.0, 0.0, 5.0),
        ("2016-03", 26.8, 2.5, 0.0),
        ("2016-06", 0.0, 0.0, 5.0),
    ]
    assert income.net == pytest.approx(26.8 - 2.5 - 10)
    yearly = income_by_period(session, owner=user, freq="Y")
    assert [p.period for p in yearly.periods] == ["2016"] and yearly.dividends == pytest.approx(26.8)
    assert summary.dividends == pytest.approx(26.8) and summary.fees == 2.5 and summary.commissions == 10


def test_performance_with_deposits_counts_only_deposits_and_withdrawals_as_flows(session, load_prices):
    load_prices("KO")
    user = make_user(session)
    days = [dt.date(2016, 1, 4), dt.date(2016, 6, 1), dt.date(2016, 9, 1)]
    closes = get_price_history(session, ticker="KO", start=days[0], end=dt.date(2016, 12, 30))["close"]
    act(session, user, days[0], "deposit", amount=10000)
    act(session, user, days[0], "buy", "KO", 100, float(closes.iloc[0]))
    act(session, user, days[1], "deposit", amount=2000)
    act(session, user, days[2], "withdrawal", amount=1500)
    report = measure_performance(session, owner=user)
    cash = 10000 - 100 * float(closes.iloc[0])
    # Sub-periods between the external flows, each valued just before the next flow.
    value = lambda day, extra: 100 * float(closes[pd.Timestamp(day)]) + cash + extra  # noqa: E731
    before_jun = 100 * float(closes[closes.index < pd.Timestamp(days[1])].iloc[-1]) + cash
    sub1 = before_jun / 10000
    sub2 = value(days[2], 2000) / (before_jun + 2000)
    sub3 = value(dt.date(2016, 12, 30), 500) / value(days[2], 500)
    assert report.twr == pytest.approx(sub1 * sub2 * sub3 - 1, rel=1e-9)
    assert report.end_value == pytest.approx(value(dt.date(2016, 12, 30), 500))
    assert report.net_inflow == pytest.approx(10500)


def test_demo_twr_and_xirr_unchanged_by_a_correctly_dated_holding(session, settings):
    from core.demo import seed_demo

    user = seed_demo(session, settings=settings)
    before = measure_performance(session, owner=user)
    price = close(session, "NVDA", dt.date(2016, 12, 30))
    stock = add_holding(session, owner=user, data=StockCreate(ticker="NVDA", quantity=10, avg_cost=price))
    assert stock.opened_at == dt.date(2016, 12, 30)
    after = measure_performance(session, owner=user)
    assert after.twr == pytest.approx(before.twr, abs=1e-12)
    assert after.xirr == pytest.approx(before.xirr, abs=1e-9)
    assert after.end_value == pytest.approx(before.end_value + 10 * price)
    assert after.start == before.start and after.end == before.end


def test_demo_realised_pnl_reconciles_to_the_cent(session, settings):
    from core.demo import seed_demo

    user = seed_demo(session, settings=settings)
    summary = summarize_portfolio(session, owner=user)
    closed = list_closed_positions(session, owner=user)
    assert [row.ticker for row in closed] == ["XOM"]
    holdings_realised = sum(h.realized_pnl for h in summary.holdings)
    assert round(holdings_realised + sum(row.realized_pnl for row in closed), 2) == round(summary.realized_pnl, 2)
    # XOM by hand: 35 bought at 101.36 + 4.95, sold at 85.13 − 4.95.
    assert closed[0].realized_pnl == pytest.approx(35 * 85.13 - 4.95 - (35 * 101.36 + 4.95))
