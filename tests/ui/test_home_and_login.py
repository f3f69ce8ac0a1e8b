"""The home page and the login gate."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

from core.audit import list_audit_events
from core.auth.service import find_user_by_email
from core.config import REPO_ROOT, get_settings
from core.db.session import session_scope
from tests.factories import DEFAULT_PASSWORD
from tests.ui.conftest import PAGE_TIMEOUT, error_texts, open_page
from ui import session_routes


def test_logged_out_visitor_sees_only_the_login_form(ui_settings):
    at = open_page("app.py", None)
    assert not at.exception
    assert [field.label for field in at.text_input][:2] == ["Email", "Password"]
    assert not at.metric


def test_sign_up_creates_the_account_as_the_api_does_and_logs_in(ui_settings, monkeypatch):
    monkeypatch.setenv("ALLOW_SIGNUP", "true")
    get_settings.cache_clear()
    email = f"signup-{uuid.uuid4().hex[:8]}@example.com"
    at = open_page("app.py", None)
    at.text_input(key="signup_name").input("Ada Analyst")
    at.text_input(key="signup_email").input(email)
    at.text_input(key="signup_password").input("long-enough-pw")
    at = next(b for b in at.button if b.label == "Sign up").click().run()
    assert not at.exception and not error_texts(at), error_texts(at)
    with session_scope(ui_settings) as session:
        user = find_user_by_email(session, email)
        assert user is not None and user.role.value == "analyst" and user.full_name == "Ada Analyst"
        events = list_audit_events(session, action="user.create", user_id=user.id)
        assert [(e.target, e.detail) for e in events] == [(f"user:{user.id}", {"role": "analyst", "signup": True})]
    assert at.session_state["user_id"] == user.id  # logged in straight away
    assert at.title[0].value == "Welcome, Ada Analyst"


def test_a_too_short_password_is_refused_and_nobody_is_created(ui_settings, monkeypatch):
    monkeypatch.setenv("ALLOW_SIGNUP", "true")
    get_settings.cache_clear()
    email = f"signup-{uuid.uuid4().hex[:8]}@example.com"
    at = open_page("app.py", None)
    at.text_input(key="signup_email").input(email)
    at.text_input(key="signup_password").input("short")
    at = next(b for b in at.button if b.label == "Sign up").click().run()
    assert any("Password" in text and "8 characters" in text for text in error_texts(at)), error_texts(at)
    with session_scope(ui_settings) as session:
        assert find_user_by_email(session, email) is None


def test_no_sign_up_form_when_sign_up_is_closed(ui_settings, monkeypatch):
    monkeypatch.setenv("ALLOW_SIGNUP", "false")
    get_settings.cache_clear()
    at = open_page("app.py", None)
    assert [field.label for field in at.text_input] == ["Email", "Password"]
    assert not [b for b in at.button if b.label == "Sign up"]


def test_logging_in_from_a_deep_link_goes_back_with_its_query(ui_settings, empty_user, monkeypatch):
    # As served (serve.py mounts the cookie routes): the log-in hands over to /session/start
    # with the page to return to; `st.context.url` has no query, so the tab must come from it.
    monkeypatch.setattr(session_routes, "_mounted", True)
    at = AppTest.from_file(str(REPO_ROOT / "pages/1_Portfolio.py"), default_timeout=PAGE_TIMEOUT)
    at.query_params["tab"] = "Activities"
    at = at.run()
    at.text_input(key="login_email").input(empty_user.email)
    at.text_input(key="login_password").input(DEFAULT_PASSWORD)
    at = at.button[0].click().run()
    assert not at.exception
    scripts = [el.proto.body for el in at.main if getattr(el, "type", "") == "html"]
    handover = next(text for text in scripts if "/session/start" in text)
    target = re.search(r"replace\('([^']+)'\)", handover).group(1)
    next_path = parse_qs(urlsplit(target).query)["next"][0]
    assert urlsplit(next_path).query == "tab=Activities"


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
