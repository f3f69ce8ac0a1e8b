"""The dashboard's security headers: the API's set (`core.http_headers`) with a
Content-Security-Policy that Streamlit's front end works under.

Streamlit's page is a script bundle from this server that talks to it over a websocket
(`/_stcore/stream`, same origin); it injects styles at run time (emotion, Plotly) and runs the
inline scripts of its page shell and of `st.html(..., unsafe_allow_javascript=True)` (the
log-in hand-over in `ui.auth`), hence 'unsafe-inline' for scripts and styles. Everything else is
this origin only: no third-party scripts, frames, plugins or form targets, and no framing by
other sites. tests/e2e opens every page under this policy and fails on any CSP violation.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware import Middleware

from core.http_headers import SecurityHeadersMiddleware

DASHBOARD_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "worker-src 'self' blob:; "
    "frame-src 'self'; "
    "object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def dashboard_csp(_path: str) -> str:
    return DASHBOARD_CSP


def dashboard_middleware() -> list[Any]:
    """The middleware for `st.App(middleware=…)` in `serve.py`: it wraps every HTTP answer."""
    return [Middleware(SecurityHeadersMiddleware, csp_for=dashboard_csp)]
