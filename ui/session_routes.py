"""The two HTTP routes that set and clear the dashboard's session cookie.

Streamlit scripts talk to the browser over a WebSocket and cannot set a cookie, and a cookie
written by JavaScript could never be HttpOnly. So the dashboard is served as an `st.App`
(`serve.py`) with these routes beside Streamlit's own, and the browser is sent through them:

- `GET /session/start?ticket=…&next=/Portfolio?tab=…` spends a one-time ticket from the
  log-in form (`core.auth.sessions.redeem_ticket`), sets the signed session cookie
  (HttpOnly, SameSite=Lax, Secure over HTTPS, Max-Age = the session's remaining lifetime)
  and redirects to `next` (a path on this site only);
- `GET /session/end` revokes the session the cookie names and deletes the cookie.

Started without them (`streamlit run app.py`, AppTest), the dashboard still logs in, for the
tab only: `handover_available()` tells the log-in form whether the routes are mounted.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from core.auth.sessions import find_cookie_session, redeem_ticket, revoke_session
from core.config import get_settings
from core.db.session import session_scope
from core.errors import AuthenticationError

logger = logging.getLogger(__name__)

COOKIE_NAME = "stockcast_session"
START_PATH = "/session/start"
END_PATH = "/session/end"
_mounted = False


def handover_available() -> bool:
    """Whether this process serves the cookie routes (started through `serve.py`)."""
    return _mounted


def start_url(ticket: str, next_path: str) -> str:
    return f"{START_PATH}?{urlencode({'ticket': ticket, 'next': safe_next(next_path)})}"


def end_url() -> str:
    return END_PATH


def safe_next(candidate: str | None) -> str:
    """A path on this site to go back to: never another host (`//evil`, `https://…`, `/\\evil`)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return "/"
    return candidate


def _cross_site(request: Request) -> bool:
    # A hand-over started from another site would log the visitor into someone else's account.
    return request.headers.get("sec-fetch-site") == "cross-site"


def start_session_cookie(request: Request) -> RedirectResponse:
    next_path = safe_next(request.query_params.get("next"))
    if _cross_site(request):
        return RedirectResponse("/", status_code=303)
    settings = get_settings()
    try:
        with session_scope(settings) as session:
            issued = redeem_ticket(session, settings=settings, ticket=request.query_params.get("ticket", ""))
    except AuthenticationError:
        logger.info("session hand-over refused: bad or spent ticket")
        return RedirectResponse(next_path, status_code=303)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        issued.value,
        max_age=issued.max_age_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def end_session_cookie(request: Request) -> RedirectResponse:
    settings = get_settings()
    with session_scope(settings) as session:
        row = find_cookie_session(session, settings=settings, cookie=request.cookies.get(COOKIE_NAME))
        if row is not None:
            revoke_session(session, session_id=row.id, reason="logout")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


def session_routes() -> list[Any]:
    return [
        Route(START_PATH, start_session_cookie, methods=["GET"]),
        Route(END_PATH, end_session_cookie, methods=["GET"]),
    ]


def mount_session_routes() -> list[Any]:
    """The routes for `st.App(routes=…)` in `serve.py`; switches the log-in hand-over on."""
    global _mounted
    _mounted = True
    return session_routes()
