"""The home page and the login gate."""

from __future__ import annotations

from tests.factories import DEFAULT_PASSWORD
from tests.ui.conftest import error_texts, open_page


def test_logged_out_visitor_sees_only_the_login_form(ui_settings):
    at = open_page("app.py", None)
    assert not at.exception
    assert [field.label for field in at.text_input] == ["Email", "Password"]
    assert not at.metric


def test_login_with_the_right_password_then_log_out(empty_user):
    at = open_page("app.py", None)
    at.text_input(key="login_email").input(empty_user.email)
    at.text_input(key="login_password").input(DEFAULT_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] == empty_user.user_id
    assert at.session_state["user_role"] == "analyst"
    assert "Your portfolio is empty" in at.info[0].value
    at.sidebar.button(key="logout").click().run()
    assert "user_id" not in at.session_state
    assert at.text_input(key="login_email")


def test_wrong_password_is_refused_with_a_message(empty_user):
    at = open_page("app.py", None)
    at.text_input(key="login_email").input(empty_user.email)
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click().run()
    assert "user_id" not in at.session_state
    assert error_texts(at) == ["Incorrect email or password"]


def test_home_shows_kpis_of_the_demo_portfolio(ui_settings, demo_user):
    at = open_page("app.py", demo_user)
    assert not at.exception and not error_texts(at)
    labels = [metric.label for metric in at.metric]
    assert labels[:4] == ["Market value", "Day change", "Total P&L", "Holdings"]
    assert at.metric[0].value.startswith("$")
