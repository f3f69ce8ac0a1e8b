"""A log-in that survives a refresh: the cookie routes, and the gate restoring a session.

The routes are driven through Starlette's test client (real HTTP semantics: Set-Cookie,
redirects); the gate through AppTest, with the cookie the browser would send on a new
connection (AppTest cannot seed `st.context.cookies`, so that one property is given it).
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.auth.schemas import UserUpdate
from core.auth.service import update_user
from core.auth.sessions import redeem_ticket, resolve_cookie, start_session
from core.db.session import session_scope
from core.db.tables import User
from tests.factories import DEFAULT_PASSWORD
from tests.ui.conftest import open_page
from ui.session_routes import COOKIE_NAME, END_PATH, safe_next, session_routes, start_url


def _ticket(settings, user_id: int) -> str:
    with session_scope(settings) as session:
        return start_session(session, settings=settings, user=session.get(User, user_id)).ticket


def _cookie(settings, user_id: int) -> str:
    with session_scope(settings) as session:
        started = start_session(session, settings=settings, user=session.get(User, user_id))
        return redeem_ticket(session, settings=settings, ticket=started.ticket).value


@pytest.fixture
def client(ui_settings) -> TestClient:
    return TestClient(Starlette(routes=session_routes()), base_url="http://testserver", follow_redirects=False)


def test_the_hand_over_sets_an_httponly_expiring_cookie_and_goes_back(client, ui_settings, empty_user):
    response = client.get(start_url(_ticket(ui_settings, empty_user.user_id), "/Stock?ticker=MSFT"))
    assert response.status_code == 303
    assert response.headers["location"] == "/Stock?ticker=MSFT"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE_NAME}=")
    attributes = {part.strip().split("=")[0].lower() for part in set_cookie.split(";")}
    assert {"httponly", "max-age", "path", "samesite"} <= attributes
    assert "samesite=lax" in set_cookie.lower()
    assert "secure" not in attributes  # plain HTTP here; over HTTPS the cookie is Secure
    max_age = int(set_cookie.lower().split("max-age=")[1].split(";")[0])
    assert max_age == pytest.approx(ui_settings.dashboard_session_hours * 3600, abs=60)
    value = response.cookies[COOKIE_NAME]
    with session_scope(ui_settings) as session:
        assert resolve_cookie(session, settings=ui_settings, cookie=value).user_id == empty_user.user_id


def test_a_spent_or_foreign_ticket_sets_no_cookie(client, ui_settings, empty_user):
    ticket = _ticket(ui_settings, empty_user.user_id)
    assert "set-cookie" in client.get(start_url(ticket, "/")).headers
    again = client.get(start_url(ticket, "/"))
    assert again.status_code == 303 and "set-cookie" not in again.headers
    fresh = _ticket(ui_settings, empty_user.user_id)
    cross = client.get(start_url(fresh, "/"), headers={"sec-fetch-site": "cross-site"})
    assert "set-cookie" not in cross.headers


def test_the_next_page_stays_on_this_site():
    assert safe_next("/Portfolio?tab=Closed") == "/Portfolio?tab=Closed"
    for hostile in ("https://evil.example", "//evil.example", "/\\evil.example", "", None, "Portfolio"):
        assert safe_next(hostile) == "/"


def test_ending_the_session_revokes_it_and_deletes_the_cookie(client, ui_settings, empty_user):
    value = _cookie(ui_settings, empty_user.user_id)
    client.cookies.set(COOKIE_NAME, value)
    response = client.get(END_PATH)
    assert response.status_code == 303 and response.headers["location"] == "/"
    deleted = response.headers["set-cookie"]
    assert deleted.startswith(f'{COOKIE_NAME}=""') and "max-age=0" in deleted.lower()
    with session_scope(ui_settings) as session:
        assert resolve_cookie(session, settings=ui_settings, cookie=value) is None


@pytest.fixture
def browser_cookie(monkeypatch):
    """Give the page the cookies a browser would send on a new connection."""
    import streamlit.runtime.context as context

    def send(cookies: dict[str, str]) -> None:
        monkeypatch.setattr(context.ContextProxy, "cookies", property(lambda self: dict(cookies)))

    return send


def test_a_new_connection_with_the_cookie_is_logged_in(ui_settings, empty_user, browser_cookie):
    browser_cookie({COOKIE_NAME: _cookie(ui_settings, empty_user.user_id)})
    at = open_page("app.py", None)
    assert not at.exception
    assert at.session_state["user_id"] == empty_user.user_id
    assert "Your portfolio is empty" in at.info[0].value
    assert not [field for field in at.text_input if field.label == "Password"]


def test_a_revoked_or_forged_cookie_shows_the_login_form(ui_settings, empty_user, admin, browser_cookie):
    value = _cookie(ui_settings, empty_user.user_id)
    with session_scope(ui_settings) as session:
        actor = session.get(User, admin.user_id)
        update_user(session, actor=actor, user_id=empty_user.user_id, data=UserUpdate(password="another-pass-9"))
    for cookie in (value, value[:-2] + "00", "garbage"):
        browser_cookie({COOKIE_NAME: cookie})
        at = open_page("app.py", None)
        assert "user_id" not in at.session_state
        assert at.text_input(key="login_password")


def test_a_revocation_ends_an_open_tab_at_its_next_run(ui_settings, empty_user, admin):
    at = open_page("app.py", None)
    at.text_input(key="login_email").input(empty_user.email)
    at.text_input(key="login_password").input(DEFAULT_PASSWORD)
    at.button[0].click().run()
    assert at.session_state["user_id"] == empty_user.user_id
    with session_scope(ui_settings) as session:
        actor = session.get(User, admin.user_id)
        update_user(session, actor=actor, user_id=empty_user.user_id, data=UserUpdate(password="another-pass-9"))
    at.run()
    assert "user_id" not in at.session_state
    assert at.text_input(key="login_password")


def test_deep_links_keep_the_ticker_and_the_tab_param(ui_settings, demo_user):
    from streamlit.testing.v1 import AppTest

    from core.config import REPO_ROOT
    from tests.ui.conftest import PAGE_TIMEOUT

    for page, selectbox in (("pages/3_Predictions.py", "pred_ticker"), ("pages/4_Backtests.py", "bt_ticker")):
        at = AppTest.from_file(str(REPO_ROOT / page), default_timeout=PAGE_TIMEOUT)
        at.session_state["user_id"] = demo_user.user_id
        at.query_params["ticker"] = "MSFT"
        at.run()
        assert not at.exception
        assert at.selectbox(key=selectbox).value == "MSFT", page
        assert at.query_params["ticker"] == "MSFT"
    at = AppTest.from_file(str(REPO_ROOT / "pages/1_Portfolio.py"), default_timeout=PAGE_TIMEOUT)
    at.session_state["user_id"] = demo_user.user_id
    at.query_params["tab"] = "Activities"
    at.run()
    assert not at.exception and at.query_params["tab"] == "Activities"
