"""The dashboard server: Streamlit's `app.py` and its pages, plus the two routes that set and
clear the HttpOnly session cookie (`ui.session_routes`), so a log-in survives a refresh, and the
API's security headers on every answer (`ui.http_headers`).

Run with `streamlit run serve.py` (what `make run` and the container do).
"""

import streamlit as st

from ui.http_headers import dashboard_middleware
from ui.session_routes import mount_session_routes

app = st.App("app.py", routes=mount_session_routes(), middleware=dashboard_middleware())
