"""Day change = value today − value at yesterday's close of what was held then − today's net
flows (Portfolio Performance's and Ghostfolio's convention), per holding and in total."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidInputError
from core.portfolio.analytics import summarize_portfolio
from core.portfolio.ledger import record_transaction
from core.portfolio.schemas import TransactionCreate
from tests.factories import make_user

# Real closes from data/prices.csv.gz: the last two sessions.
KO_2016_12_29, KO_2016_12_30 = 41.6, 41.46
JNJ_2016_12_29, JNJ_2016_12_30 = 115.49, 115.21
TODAY = dt.date(2016, 12, 30)


def _record(session, user, day, ticker, kind, quantity=0.0, price=0.0, fee=0.0, amount=0.0):
    data = TransactionCreate(date=day, ticker=ticker, type=kind, quantity=quantity, price=price, fee=fee, amount=amount)
    return record_transaction(session, owner=user, data=data)


@pytest.fixture
def held(session, load_prices):
    load_prices("KO", "JNJ")
    user = make_user(session)
    _record(session, user, dt.date(2016, 6, 1), "KO", "buy", 65, 42.0)
    _record(session, user, dt.date(2016, 6, 1), "JNJ", "buy", 10, 115.0)
    return user


def test_a_buy_or_a_sale_at_todays_close_leaves_todays_change_unchanged(session, held):
    before = summarize_portfolio(session, owner=held)
    expected = 65 * (KO_2016_12_30 - KO_2016_12_29) + 10 * (JNJ_2016_12_30 - JNJ_2016_12_29)
    assert before.day_change == pytest.approx(expected)

    _record(session, held, TODAY, "KO", "buy", 35, KO_2016_12_30)
    after_buy = summarize_portfolio(session, owner=held)
    assert after_buy.day_change == pytest.approx(before.day_change)
    ko = {h.ticker: h for h in after_buy.holdings}["KO"]
    assert ko.quantity == 100 and ko.day_change == pytest.approx(65 * (KO_2016_12_30 - KO_2016_12_29))
    assert ko.day_change_pct == pytest.approx(KO_2016_12_30 / KO_2016_12_29 - 1)  # the close's money dilutes nothing

    _record(session, held, TODAY, "JNJ", "sell", 10, JNJ_2016_12_30)  # JNJ closed today
    after_sale = summarize_portfolio(session, owner=held)
    assert [h.ticker for h in after_sale.holdings] == ["KO"]
    assert after_sale.day_change == pytest.approx(before.day_change)  # the sold position still counts today


def test_trades_away_from_the_close_and_commissions_change_today_by_what_they_earned(session, held):
    before = summarize_portfolio(session, owner=held).day_change
    _record(session, held, TODAY, "KO", "buy", 10, 41.0, fee=1.5)  # bought below the close, paid 1.50
    after = summarize_portfolio(session, owner=held).day_change
    assert after == pytest.approx(before + 10 * (KO_2016_12_30 - 41.0) - 1.5)
    _record(session, held, TODAY, "KO", "dividend", 75, 0.1)  # money taken out today is today's gain
    assert summarize_portfolio(session, owner=held).day_change == pytest.approx(after + 7.5)


def test_a_refused_deposit_says_how_much_would_be_enough(session, load_prices):
    load_prices("KO")
    user = make_user(session)
    _record(session, user, dt.date(2016, 1, 4), None, "deposit", amount=1500)
    _record(session, user, dt.date(2016, 1, 5), "KO", "buy", 20, 40.0)  # 700 left
    _record(session, user, dt.date(2016, 3, 1), "KO", "buy", 10, 40.0)  # 300 left
    # Withdrawing 900 on 2016-02-01 leaves −200 then, and −600 after the second buy: 600 is enough.
    with pytest.raises(InvalidInputError, match=r"deposit at least \$600\.00 on or before 2016-02-01") as refused:
        _record(session, user, dt.date(2016, 2, 1), None, "withdrawal", amount=900)
    assert refused.value.details[0]["reason"] == "at least $600.00 on or before 2016-02-01"
