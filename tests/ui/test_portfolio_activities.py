"""The Portfolio page's ledger forms (record, edit, delete), closed positions, income and
cash, with every figure checked against a recomputation from the raw stored prices."""

from __future__ import annotations

import datetime as dt

import pytest

from core.auth.service import get_user
from core.db.session import session_scope
from core.formatting import money, signed_money
from core.market.service import get_price_history
from core.portfolio.activities import list_activities
from core.portfolio.holdings import list_holdings
from core.portfolio.pricing import unknown_ticker_message
from tests.ui.conftest import error_texts, open_page

PAGE = "pages/1_Portfolio.py"
LAST = dt.date(2016, 12, 30)


def raw_close(settings, ticker: str, day: dt.date) -> float:
    with session_scope(settings) as session:
        return float(get_price_history(session, ticker=ticker, end=day)["close"].iloc[-1])


def holdings_in_db(settings, user_id: int) -> dict[str, float]:
    with session_scope(settings) as session:
        rows, _ = list_holdings(session, owner=get_user(session, user_id=user_id))
        return {row.ticker: row.quantity for row in rows}


def metric(at, label: str) -> str:
    return next(m for m in at.metric if m.label == label).value


def record(at, kind: str, *, ticker: str | None = None, day=None, quantity=None, price=None, amount=None):
    at = at.radio(key="activity_kind").set_value(kind).run()
    if ticker is not None and kind != "Sell":
        at = at.text_input(key="activity_ticker").input(ticker).run()
    if day is not None:
        next(d for d in at.date_input if (d.key or "").startswith("activity_date_")).set_value(day)
        at = at.run()
    if quantity is not None:
        at.number_input(key="activity_quantity").set_value(quantity)
    if price is not None:
        next(n for n in at.number_input if (n.key or "").startswith("activity_price_")).set_value(price)
    if amount is not None:
        at.number_input(key="activity_amount").set_value(amount)
    return at.button(key="record_activity").click().run()


def test_buy_sell_part_and_close_through_the_form(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    bought_on = dt.date(2016, 6, 1)
    buy_close, last_close = raw_close(ui_settings, "KO", bought_on), raw_close(ui_settings, "KO", LAST)
    # The date defaults to KO's last stored price and the price to the close on the chosen date.
    at = at.radio(key="activity_kind").set_value("Buy").run()
    at = at.text_input(key="activity_ticker").input("KO").run()
    assert next(d for d in at.date_input if (d.key or "").startswith("activity_date_")).value == LAST
    assert next(n for n in at.number_input if (n.key or "").startswith("activity_price_")).value == pytest.approx(
        last_close
    )

    at = record(at, "Buy", ticker="KO", day=bought_on, quantity=10)
    assert not at.exception and not error_texts(at), error_texts(at)
    assert at.success[0].value == rf"Recorded: buy 10 KO on {bought_on} at \{money(buy_close)}."
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"KO": 10}
    assert metric(at, "Market value") == money(10 * last_close)
    assert metric(at, "Total P&L") == signed_money(10 * (last_close - buy_close))

    at = record(at, "Sell", quantity=4)  # at the last close, the default
    assert not error_texts(at), error_texts(at)
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"KO": 6}
    assert metric(at, "Realised P&L") == signed_money(4 * (last_close - buy_close))

    at = record(at, "Sell", quantity=6)
    assert not error_texts(at), error_texts(at)
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}
    realised = 10 * (last_close - buy_close)
    closed = next(df.value for df in at.dataframe if "realized_pnl" in df.value.columns)
    assert closed["ticker"].tolist() == ["KO"] and closed["quantity_sold"].tolist() == [10]
    assert closed["realized_pnl"].iloc[0] == pytest.approx(realised)
    assert any(signed_money(realised) in caption.value for caption in at.caption)


def test_cash_dividend_and_fee_forms_and_income(ui_settings, empty_user):
    at = record(open_page(PAGE, empty_user), "Deposit", amount=2000)  # dated the last price, by default
    assert not error_texts(at), error_texts(at)
    assert at.success[0].value == rf"Recorded: deposit of \$2,000.00 on {LAST}."
    # With deposits recorded, a buy before any deposit would overdraw the cash: refused, dated.
    at = record(at, "Buy", ticker="PG", day=dt.date(2016, 3, 1), quantity=20)
    assert any("cash would be" in text and "2016-03-01" in text for text in error_texts(at)), error_texts(at)

    close = raw_close(ui_settings, "PG", dt.date(2016, 3, 1))
    at = record(open_page(PAGE, empty_user), "Deposit", day=dt.date(2016, 2, 1), amount=2000)
    at = record(at, "Buy", ticker="PG", day=dt.date(2016, 3, 1), quantity=20)
    at = record(at, "Dividend", ticker="PG", day=dt.date(2016, 4, 15), amount=13.4)
    at = record(at, "Fee", ticker="PG", day=dt.date(2016, 5, 2), amount=1.5)
    assert not error_texts(at), error_texts(at)
    with session_scope(ui_settings) as session:
        kinds = [a.type.value for a in list_activities(session, owner=get_user(session, user_id=empty_user.user_id))]
    assert kinds == ["deposit", "buy", "dividend", "fee", "deposit"]
    assert metric(at, "Cash") == money(4000 - 20 * close + 13.4 - 1.5)
    assert metric(at, "Dividends") == money(13.4) and metric(at, "Fees charged") == money(1.5)
    assert metric(at, "Net income") == signed_money(13.4 - 1.5)
    assert at.get("plotly_chart"), "the income chart is drawn"


def test_edit_and_delete_re_validate_the_ledger(ui_settings, empty_user):
    at = record(open_page(PAGE, empty_user), "Buy", ticker="MSFT", day=dt.date(2016, 1, 4), quantity=10)
    at = record(at, "Sell", day=dt.date(2016, 6, 1), quantity=8)
    assert not error_texts(at), error_texts(at)
    with session_scope(ui_settings) as session:
        buy = list_activities(session, owner=get_user(session, user_id=empty_user.user_id))[0]
    at = at.selectbox(key="edit_activity_choice").set_value(buy.id).run()
    at.number_input(key=f"edit_quantity_{buy.id}").set_value(5)
    at = next(b for b in at.button if b.label == "Save activity").click().run()
    assert any("cannot sell 8 MSFT on 2016-06-01: only 5 held then" in text for text in error_texts(at))
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"MSFT": 2}

    at.number_input(key=f"edit_quantity_{buy.id}").set_value(12)
    at = next(b for b in at.button if b.label == "Save activity").click().run()
    assert not error_texts(at) and holdings_in_db(ui_settings, empty_user.user_id) == {"MSFT": 4}

    at = at.selectbox(key="delete_activity_choice").set_value(buy.id).run()
    at.checkbox(key="delete_activity_confirm").check().run()
    at = at.button(key="delete_activity_button").click().run()
    assert any("deleting the buy of 2016-01-04 is refused" in text.lower() for text in error_texts(at))
    assert holdings_in_db(ui_settings, empty_user.user_id) == {"MSFT": 4}


def test_an_unpriced_ticker_is_refused_with_the_message_of_the_api(ui_settings, empty_user):
    at = record(open_page(PAGE, empty_user), "Buy", ticker="ZZZZ", quantity=1, price=1)
    message = unknown_ticker_message("ZZZZ")
    assert message[:1].upper() + message[1:] in error_texts(at)
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}


def activity_count(settings, user_id: int) -> int:
    with session_scope(settings) as session:
        return len(list_activities(session, owner=get_user(session, user_id=user_id)))


def test_a_negative_quantity_is_shown_refused_and_nothing_is_recorded(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    at = record(at, "Buy", ticker="KO", quantity=3)
    assert activity_count(ui_settings, empty_user.user_id) == 1
    before = activity_count(ui_settings, empty_user.user_id)

    at = record(at, "Buy", ticker="KO", quantity=-5)
    assert at.number_input(key="activity_quantity").value == -5  # what is shown is what was typed
    assert "Quantity cannot be negative." in error_texts(at)
    assert "Nothing was recorded: correct the fields marked above." in error_texts(at)
    assert not at.success
    assert activity_count(ui_settings, empty_user.user_id) == before

    # A zero price is refused the same way, beside the field.
    at = record(at, "Buy", ticker="KO", quantity=2, price=0.0)
    assert "Price must be greater than 0." in error_texts(at)
    assert activity_count(ui_settings, empty_user.user_id) == before


def test_after_a_success_the_form_is_back_to_its_defaults(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    at = record(at, "Buy", ticker="AAPL", quantity=40)
    at = record(at, "Sell", quantity=40)  # closes AAPL
    assert not error_texts(at), error_texts(at)
    assert at.success and at.success[0].value.startswith("Recorded: sell 40 AAPL")
    assert at.radio(key="activity_kind").value == "Buy"  # the default kind, not "Sell"
    assert at.text_input(key="activity_ticker").value == ""
    assert at.number_input(key="activity_quantity").value == 0.0
    assert holdings_in_db(ui_settings, empty_user.user_id) == {}
