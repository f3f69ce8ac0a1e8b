"""The login gate every page calls first: `account = require_login("Portfolio")`.

It checks the same accounts as the API (`core.auth.service.attempt_login`, lockout
included). Only the user's id and role live in `st.session_state` (keys `user_id`,
`user_role`); the account is re-read from the database (cached briefly) on every run, so a
deactivated or demoted user loses access within seconds.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from core.config import REPO_ROOT
from ui.loaders import Account, database_key, load_account, log_in

USER_ID_KEY = "user_id"
USER_ROLE_KEY = "user_role"
APP_TITLE = "Stockcast"
# (page file, label, roles allowed or () for everyone); the Chat page is added by its own area.
NAVIGATION = [
    ("app.py", "Home", ()),
    ("pages/1_Portfolio.py", "Portfolio", ()),
    ("pages/2_Stock.py", "Stock", ()),
    ("pages/3_Predictions.py", "Predictions", ()),
    ("pages/4_Backtests.py", "Backtests", ()),
    ("pages/5_Chat.py", "Chat", ()),
    ("pages/6_Admin.py", "Admin", ("admin",)),
    ("pages/7_Settings.py", "Settings", ()),
]


@st.cache_resource(show_spinner=False)
def _configure_logging_once() -> bool:
    from core.logs import configure_logging

    configure_logging()
    return True


def configure_page(title: str | None = None) -> None:
    """Page config and logging set-up; a no-op for the page config if already set."""
    full_title = f"{title} · {APP_TITLE}" if title else APP_TITLE
    st.set_page_config(page_title=full_title, page_icon="📈", layout="wide")
    _configure_logging_once()


def current_account() -> Account | None:
    user_id = st.session_state.get(USER_ID_KEY)
    if not user_id:
        return None
    account = load_account(database_key(), int(user_id))
    if account is None or not account.is_active:
        log_out()
        return None
    st.session_state[USER_ROLE_KEY] = account.role
    return account


def log_out() -> None:
    for key in (USER_ID_KEY, USER_ROLE_KEY):
        st.session_state.pop(key, None)


def _render_login_form() -> None:
    st.title(APP_TITLE)
    st.caption("Portfolio analytics and honest forecasts. Log in to continue.")
    with st.form("login", clear_on_submit=False):
        email = st.text_input("Email", key="login_email", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        if not email.strip() or not password:
            st.error("Enter your email and password.")
            return
        outcome = log_in(email, password)
        if isinstance(outcome, str):
            st.error(outcome)
            return
        st.session_state[USER_ID_KEY] = outcome.id
        st.session_state[USER_ROLE_KEY] = outcome.role
        load_account.clear()
        st.rerun()


def _render_navigation(account: Account) -> None:
    """Links to the pages this account may use (Streamlit's own page list is switched off)."""
    for path, label, roles in NAVIGATION:
        if (roles and account.role not in roles) or not (REPO_ROOT / path).exists():
            continue
        try:
            st.page_link(path, label=label)
        except StreamlitPageNotFoundError:
            # A page run on its own (AppTest.from_file) has no other pages registered.
            return


def _render_sidebar(account: Account) -> None:
    with st.sidebar:
        _render_navigation(account)
        st.divider()
        st.markdown(f"**{account.display_name}**")
        st.caption(f"Role: {account.role}")
        if st.button("Log out", key="logout"):
            log_out()
            st.rerun()


def require_login(title: str | None = None) -> Account:
    """The logged-in account; otherwise show the login form and stop the page."""
    configure_page(title)
    account = current_account()
    if account is None:
        _render_login_form()
        st.stop()
    _render_sidebar(account)
    return account


def require_role(*roles: str, title: str | None = None) -> Account:
    """Like `require_login`, and stop with a message unless the account has one of `roles`."""
    account = require_login(title)
    if account.role not in roles:
        st.error(f"This page is for the {' or '.join(roles)} role; you are logged in as {account.role}.")
        st.stop()
    return account


def can_write(account: Account) -> bool:
    """Viewers have read-only accounts; the UI hides forms they could not submit anyway."""
    return account.role != "viewer"
