"""The login gate every page calls first: `account = require_login("Portfolio")`.

It checks the same accounts as the API (`core.auth.service.attempt_login`, lockout
included). Only the user's id, role and server-side session id live in `st.session_state`
(keys `user_id`, `user_role`, `dashboard_session_id`); the account is re-read from the
database (cached briefly) on every run, so a deactivated or demoted user loses access within
seconds, and the session is checked on every run, so a revoked one (log-out elsewhere, a
password or role change) ends at the next click.

A log-in survives a refresh or a new tab through a server-side session
(`core.auth.sessions`) named by an HttpOnly cookie, set and cleared by the routes in
`ui.session_routes`; on a fresh connection `st.context.cookies` carries it back.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from core.auth.schemas import PASSWORD_MIN_LENGTH, UserCreate
from core.auth.service import register_user
from core.auth.sessions import is_session_live, resolve_cookie, revoke_session, start_session
from core.config import REPO_ROOT
from core.logs import configure_logging
from ui.feedback import shown_errors
from ui.loaders import Account, call, call_as, current_settings, database_key, load_account, log_in
from ui.session_routes import COOKIE_NAME, end_url, handover_available, start_url

USER_ID_KEY = "user_id"
USER_ROLE_KEY = "user_role"
SESSION_ID_KEY = "dashboard_session_id"
LAST_PAGE_KEY = "last_page_shown"
NARROW_SCREEN_PX = 768  # Streamlit's own breakpoint: below it the sidebar overlays the page
# Our page links live in the sidebar, so Streamlit's own "close the sidebar after navigating on
# a phone" (built into Streamlit's own navigation menu) never runs; this does the same once per page change.
_COLLAPSE_SIDEBAR_JS = f"""<script>
(() => {{
  if (!window.matchMedia("(max-width: {NARROW_SCREEN_PX}px)").matches) return;
  let tries = 0;
  const collapse = () => {{
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    if (sidebar && sidebar.getBoundingClientRect().right <= 0) return;  // closed already
    if (button && sidebar) {{ button.click(); return; }}
    if (++tries < 20) setTimeout(collapse, 100);  // not rendered yet
  }};
  collapse();
}})();
</script>"""
APP_TITLE = "Stockcast"
# (page file, label, roles allowed or () for everyone); the Chat page is added by its own area.
NAVIGATION = [
    ("app.py", "Home", ()),
    ("pages/1_Portfolio.py", "Portfolio", ()),
    ("pages/2_Stock.py", "Stock", ()),
    ("pages/3_Predictions.py", "Predictions", ()),
    ("pages/4_Backtests.py", "Backtests", ()),
    ("pages/5_Chat.py", "Chat", ()),
    ("pages/7_Watchlist.py", "Watchlist", ()),
    ("pages/6_Admin.py", "Admin", ("admin",)),
    ("pages/8_Settings.py", "Settings", ()),
]


@st.cache_resource(show_spinner=False)
def _configure_logging_once() -> bool:
    configure_logging()
    return True


def configure_page(title: str | None = None) -> None:
    """Page config and logging set-up; a no-op for the page config if already set."""
    full_title = f"{title} · {APP_TITLE}" if title else APP_TITLE
    st.set_page_config(page_title=full_title, page_icon="📈", layout="wide")
    _configure_logging_once()


def _restore_from_cookie() -> None:
    """A new connection (refresh, new tab) carrying a live session cookie is logged in."""
    row = call(resolve_cookie, settings=current_settings(), cookie=st.context.cookies.get(COOKIE_NAME))
    if row is not None:
        st.session_state[USER_ID_KEY] = row.user_id
        st.session_state[SESSION_ID_KEY] = row.id


def current_account() -> Account | None:
    if not st.session_state.get(USER_ID_KEY):
        _restore_from_cookie()
    user_id = st.session_state.get(USER_ID_KEY)
    if not user_id:
        return None
    session_id = st.session_state.get(SESSION_ID_KEY)
    if session_id is not None and not call(is_session_live, session_id=int(session_id)):
        log_out()
        return None
    account = load_account(database_key(), int(user_id))
    if account is None or not account.is_active:
        log_out()
        return None
    st.session_state[USER_ROLE_KEY] = account.role
    return account


def log_out() -> None:
    """Forget the log-in in this tab and revoke its server-side session."""
    session_id = st.session_state.pop(SESSION_ID_KEY, None)
    if session_id is not None:
        call(revoke_session, session_id=int(session_id), reason="logout")
    for key in (USER_ID_KEY, USER_ROLE_KEY):
        st.session_state.pop(key, None)


def _current_path() -> str:
    """This page's path and query (ticker, tab…), to come back to after the cookie is set.
    `st.context.url` drops the query, so it is taken from `st.query_params`."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = urlencode([(name, value) for name in st.query_params for value in st.query_params.get_all(name)])
    return path + (f"?{query}" if query else "")


def _navigate(url: str) -> None:
    # A full navigation, so the browser stores the route's Set-Cookie and reconnects with it.
    st.html(f"<script>window.location.replace({url!r});</script>", unsafe_allow_javascript=True)


def _render_login_form() -> None:
    st.title(APP_TITLE)
    st.caption("Portfolio analytics and honest forecasts. Log in to continue.")
    if not current_settings().allow_signup:
        _render_login_fields()
        return
    login_col, signup_col = st.columns(2)
    with login_col:
        _render_login_fields()
    with signup_col:
        _render_signup_form()


def _render_signup_form() -> None:
    """Sign-up (ALLOW_SIGNUP): the same use case as POST /api/users, then logged in."""
    with st.form("signup", clear_on_submit=False):
        st.markdown("**New here? Create an account**")
        name = st.text_input("Name (optional)", key="signup_name")
        email = st.text_input("Email for the new account", key="signup_email", autocomplete="email")
        password = st.text_input(
            "Choose a password",
            type="password",
            key="signup_password",
            autocomplete="new-password",
            help=f"At least {PASSWORD_MIN_LENGTH} characters.",
        )
        submitted = st.form_submit_button("Sign up")
    if submitted:
        with shown_errors("create the account"):
            data = UserCreate(email=email.strip(), password=password, full_name=name.strip() or None)
            call(register_user, data=data, allow_signup=current_settings().allow_signup)
            _logged_in(log_in(data.email, password))


def _render_login_fields() -> None:
    with st.form("login", clear_on_submit=False):
        email = st.text_input("Email", key="login_email", autocomplete="username")
        password = st.text_input("Password", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        if not email.strip() or not password:
            st.error("Enter your email and password.")
            return
        _logged_in(log_in(email, password))


def _logged_in(outcome: Account | str) -> None:
    """Start the session of a successful log-in (back to the page and query asked for)."""
    if isinstance(outcome, str):
        st.error(outcome)
        return
    started = call_as(outcome.id, start_session, user_arg="user", settings=current_settings())
    st.session_state[USER_ID_KEY] = outcome.id
    st.session_state[USER_ROLE_KEY] = outcome.role
    st.session_state[SESSION_ID_KEY] = started.session_id
    load_account.clear()
    if handover_available():
        _navigate(start_url(started.ticket, _current_path()))
        st.stop()
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


def _collapse_sidebar_after_navigation(title: str | None) -> None:
    page = title or APP_TITLE
    if st.session_state.get(LAST_PAGE_KEY) not in (None, page):
        st.html(_COLLAPSE_SIDEBAR_JS, unsafe_allow_javascript=True)
    st.session_state[LAST_PAGE_KEY] = page


def _render_sidebar(account: Account) -> None:
    with st.sidebar:
        _render_navigation(account)
        st.divider()
        st.markdown(f"**{account.display_name}**")
        st.caption(f"Role: {account.role}")
        if st.button("Log out", key="logout"):
            log_out()
            if handover_available():
                _navigate(end_url())  # deletes the (already revoked) cookie
                st.stop()
            st.rerun()


def require_login(title: str | None = None) -> Account:
    """The logged-in account; otherwise show the login form and stop the page."""
    configure_page(title)
    account = current_account()
    if account is None:
        _render_login_form()
        st.stop()
    _render_sidebar(account)
    _collapse_sidebar_after_navigation(title)
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
