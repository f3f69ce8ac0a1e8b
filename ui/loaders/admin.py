"""Accounts: log-in, the logged-in account, and the users list (Admin page).

Reads are `st.cache_data(ttl=…)` functions whose first argument is the database URL (so
two databases never share entries) and which return picklable values (pydantic models,
frames), never ORM objects.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.auth.service import attempt_login, get_user, list_users
from core.config import get_settings
from core.db.session import session_scope
from core.errors import CoreError, NotFoundError
from ui.loaders.base import Account, call_as


def _account(user: Any) -> Account:
    return Account(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=str(user.role.value),
        is_active=bool(user.is_active),
    )


@st.cache_data(ttl=30, show_spinner=False)
def load_account(database_url: str, user_id: int) -> Account | None:
    with session_scope(get_settings()) as session:
        try:
            return _account(get_user(session, user_id=user_id))
        except NotFoundError:
            return None


def log_in(email: str, password: str) -> Account | str:
    """The account, or the message to show. Failed attempts are committed (lockout counts)."""

    with session_scope(get_settings()) as session:
        outcome = attempt_login(session, email=email, password=password)
        if isinstance(outcome, CoreError):
            return outcome.message[:1].upper() + outcome.message[1:]
        return _account(outcome)


@st.cache_data(ttl=10, show_spinner=False)
def load_users(database_url: str, admin_id: int) -> pd.DataFrame:
    rows, _total = call_as(admin_id, list_users, user_arg="actor", limit=500)
    return pd.DataFrame(
        [
            {
                "id": u.id,
                "email": u.email,
                "name": u.full_name or "",
                "role": u.role.value,
                "active": u.is_active,
                "created": u.created_at,
            }
            for u in rows
        ]
    )
