"""One definition of a period: the portfolio, its benchmark and every ratio over the same
sessions (first and last inclusive), checked against closes computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidInputError
from core.market.service import get_price_history
from core.portfolio.analytics import measure_performance, returns_by_year
from core.portfolio.ledger import record_transaction
from core.portfolio.pricing import close_on
from core.portfolio.schemas import TransactionCreate
from tests.factories import make_user

WINDOWS = [
    {"period": "1M"},
    {"period": "3M"},
    {"period": "YTD"},
    {"period": "1Y"},
    {"period": "ytd"},  # any case, as the core takes it
    {"period": "3Y"},
    {"period": "ALL"},
    {"period": "2015"},
    {"period": "2016"},
    {"start": "2016-03-15", "end": "2016-09-15"},
    {"start": "2015-06-01"},
    {"end": "2015-12-31"},
    {"start": "2014-01-01", "end": "2016-06-30"},  # starts before the buy: clipped to it
]


async def test_a_one_stock_portfolio_has_its_stocks_return_and_a_beta_of_1_over_any_window(api, api_prices):
    await api_prices("KO", "AAPL")
    headers = await api.signup()
    close = await api.run(close_on, ticker="KO", day=dt.date(2015, 3, 2))
    buy = {"date": "2015-03-02", "ticker": "KO", "type": "buy", "quantity": 50, "price": close}
    assert (await api.client.post("/api/portfolio/transactions", json=buy, headers=headers)).status_code == 201
    for window in WINDOWS:
        response = await api.client.get(
            "/api/portfolio/performance", params={**window, "benchmark": "KO"}, headers=headers
        )
        assert response.status_code == 200, (window, response.text)
        body = response.json()
        assert body["twr"] == pytest.approx(body["benchmark_twr"], abs=1e-12), window
        assert body["beta"] == pytest.approx(1.0, abs=1e-9), window
        assert [p["date"] for p in body["twr_series"]] == [p["date"] for p in body["benchmark_series"]]
        assert [p["value"] for p in body["twr_series"]] == pytest.approx([p["value"] for p in body["benchmark_series"]])


def test_a_window_runs_from_the_close_before_its_first_session_to_its_last(session, load_prices):
    load_prices("KO", "MSFT")
    user = make_user(session)
    ko = get_price_history(session, ticker="KO")["close"]
    msft = get_price_history(session, ticker="MSFT")["close"]
    record_transaction(session, owner=user, data=_buy("2014-06-02", "KO", 30, ko["2014-06-02"]))
    record_transaction(session, owner=user, data=_buy("2014-06-02", "MSFT", 10, msft["2014-06-02"]))

    # 2016-03-15 → 2016-09-15: KO's own return from the 2016-03-14 close, the bug's window.
    report = measure_performance(
        session, owner=user, start=dt.date(2016, 3, 15), end=dt.date(2016, 9, 15), benchmark="KO"
    )
    assert (report.start, report.end) == (dt.date(2016, 3, 15), dt.date(2016, 9, 15))
    assert report.benchmark_twr == pytest.approx(ko["2016-09-15"] / ko["2016-03-14"] - 1, abs=1e-12)
    value = 30 * ko + 10 * msft  # a buy-and-hold portfolio: its TWR is the value's growth
    assert report.twr == pytest.approx(value["2016-09-15"] / value["2016-03-14"] - 1, abs=1e-12)
    assert report.start_value == pytest.approx(value["2016-03-14"])
    assert report.sessions == len(ko["2016-03-15":"2016-09-15"])

    # 1 year ending 2016-12-30: the sessions after 2015-12-30.
    year = measure_performance(session, owner=user, period="1y", benchmark="MSFT")
    assert (year.start, year.end) == (dt.date(2015, 12, 31), dt.date(2016, 12, 30))
    assert year.twr == pytest.approx(value["2016-12-30"] / value["2015-12-30"] - 1, abs=1e-12)
    assert year.benchmark_twr == pytest.approx(msft["2016-12-30"] / msft["2015-12-30"] - 1, abs=1e-12)
    assert year.twr_annualised == pytest.approx((1 + year.twr) ** (252 / year.sessions) - 1)


def test_ytd_and_calendar_years_match_a_hand_calculation(session, load_prices):
    load_prices("KO", "JNJ")
    user = make_user(session)
    ko = get_price_history(session, ticker="KO")["close"]
    jnj = get_price_history(session, ticker="JNJ")["close"]
    record_transaction(session, owner=user, data=_buy("2014-09-02", "KO", 100, 41.5))  # not at the close
    # A buy at the 2016-05-02 close: money put in at the close changes nothing of that day.
    record_transaction(session, owner=user, data=_buy("2016-05-02", "JNJ", 20, jnj["2016-05-02"]))
    value = 100 * ko + 20 * jnj.where(jnj.index >= "2016-05-02", 0.0)
    bought = 20 * jnj["2016-05-02"]

    by_year = returns_by_year(session, owner=user, benchmark="KO")
    rows = {row.year: row for row in by_year.years}
    assert list(rows) == [2014, 2015, 2016]
    # 2014 starts on the buy: from the money paid (100 × 41.5) to the year's last close.
    assert rows[2014].start == dt.date(2014, 9, 2)
    assert rows[2014].twr == pytest.approx(100 * ko["2014-12-31"] / 4150 - 1, abs=1e-12)
    assert rows[2015].twr == pytest.approx(ko["2015-12-31"] / ko["2014-12-31"] - 1, abs=1e-12)
    assert rows[2015].benchmark_twr == pytest.approx(rows[2015].twr, abs=1e-12)
    hand_2016 = (value["2016-05-02"] - bought) / value["2015-12-31"] * value["2016-12-30"] / value["2016-05-02"] - 1
    assert rows[2016].twr == pytest.approx(hand_2016, abs=1e-12)
    assert rows[2016].benchmark_twr == pytest.approx(ko["2016-12-30"] / ko["2015-12-31"] - 1, abs=1e-12)

    ytd = measure_performance(session, owner=user, period="YTD", benchmark="KO")
    calendar = measure_performance(session, owner=user, period="2016", benchmark="KO")
    for report in (ytd, calendar):
        assert (report.start, report.end) == (dt.date(2016, 1, 4), dt.date(2016, 12, 30))
        assert report.twr == pytest.approx(hand_2016, abs=1e-12)
        assert report.benchmark_twr == pytest.approx(rows[2016].benchmark_twr, abs=1e-12)


def test_period_names_are_checked(session, load_prices):
    load_prices("KO")
    user = make_user(session)
    record_transaction(session, owner=user, data=_buy("2016-01-04", "KO", 1, 42.0))
    with pytest.raises(InvalidInputError, match="unknown period"):
        measure_performance(session, owner=user, period="2W")
    with pytest.raises(InvalidInputError, match="not both"):
        measure_performance(session, owner=user, period="1Y", start=dt.date(2016, 2, 1))
    assert measure_performance(session, owner=user, period="2013").twr is None  # no session then


def _buy(day: str, ticker: str, quantity: float, price: float) -> TransactionCreate:
    return TransactionCreate(
        date=dt.date.fromisoformat(day), ticker=ticker, type="buy", quantity=quantity, price=float(price)
    )
