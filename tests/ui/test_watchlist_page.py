"""The Watchlist & alerts page shows the service's figures; triggered alerts reach Home."""

from __future__ import annotations

from core.db.session import session_scope
from core.db.tables import User
from core.formatting import money, signed_money, signed_percent
from core.portfolio.alerts import describe_rule, list_alerts, list_watchlist
from tests.ui.conftest import error_texts, open_page

PAGE = "pages/7_Watchlist.py"


def _service_watchlist(settings, user_id):
    with session_scope(settings) as session:
        return list_watchlist(session, owner=session.get(User, user_id), sparkline_days=30)


def test_adding_a_ticker_shows_its_day_change_as_the_service_computes_it(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    assert not at.exception and not error_texts(at)
    assert "Nothing on your watchlist yet" in at.info[0].value
    at.selectbox(key="watch_ticker").select("MSFT")
    at = next(b for b in at.button if b.label == "Add to watchlist").click().run()
    assert not error_texts(at)
    assert at.success[0].value == "MSFT is on your watchlist."
    [item] = _service_watchlist(ui_settings, empty_user.user_id)
    assert item.day_change_pct is not None and len(item.sparkline) == 30
    row = at.dataframe[0].value.iloc[0]
    assert row["Ticker"] == "MSFT"
    assert row["Last close"] == money(item.last_price)
    assert row["Day change"] == signed_money(item.day_change)
    assert row["Day change %"] == signed_percent(item.day_change_pct)
    assert list(row["Last 30 closes"]) == item.sparkline
    assert row["As of"] == item.last_date.isoformat()

    at.selectbox(key="unwatch_ticker").select("MSFT")
    at = next(b for b in at.button if b.label == "Remove").click().run()
    assert _service_watchlist(ui_settings, empty_user.user_id) == []


def test_an_alert_triggers_and_is_shown_here_and_on_home(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    at.selectbox(key="alert_ticker").select("AAPL")
    at.selectbox(key="alert_kind").select("above")
    at.number_input(key="alert_threshold").set_value(1.0)
    at = next(b for b in at.button if b.label == "Add alert").click().run()
    assert not error_texts(at)
    assert at.dataframe[-1].value.iloc[0]["Status"] == "Watching"
    at = at.button(key="alert_check").click().run()
    assert at.success[0].value == "1 alert(s) triggered."

    with session_scope(ui_settings) as session:
        [alert] = list_alerts(session, owner=session.get(User, empty_user.user_id), triggered=True)
        message, day = alert.triggered_message, alert.triggered_date
    row = at.dataframe[-1].value.iloc[0]
    assert row["Rule"] == describe_rule("above", 1.0) == "Closes above $1.00"
    assert row["Status"] == "Triggered"
    assert row["Last trigger"] == day.isoformat()
    assert row["What happened"] == message and "above $1.00" in message

    home = open_page("app.py", empty_user)
    assert not home.exception
    escaped = message.replace("$", r"\$")  # shown literally, not as LaTeX
    assert [w.value for w in home.warning] == [f"**AAPL** · {escaped}"]


def test_a_viewer_sees_no_forms(viewer):
    at = open_page(PAGE, viewer)
    assert not at.exception and not error_texts(at)
    assert not at.get("form") and [b.key for b in at.button] == ["logout"]
