"""Dashboard sessions: ticket → signed cookie, expiry, forgery, and revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.auth.schemas import UserUpdate
from core.auth.service import delete_user, update_user
from core.auth.sessions import (
    find_cookie_session,
    is_session_live,
    redeem_ticket,
    resolve_cookie,
    revoke_session,
    sign_token,
    start_session,
    unsign_cookie,
)
from core.db.tables import DashboardSession, Role, utcnow
from core.errors import AuthenticationError
from tests.factories import make_user


def _logged_in(session, settings, user):
    started = start_session(session, settings=settings, user=user)
    return started, redeem_ticket(session, settings=settings, ticket=started.ticket)


def test_a_redeemed_ticket_gives_a_cookie_that_names_the_session(session, settings):
    user = make_user(session)
    started, cookie = _logged_in(session, settings, user)
    row = resolve_cookie(session, settings=settings, cookie=cookie.value)
    assert row is not None and row.id == started.session_id and row.user_id == user.id
    lifetime = settings.dashboard_session_hours * 3600
    assert lifetime - 60 <= cookie.max_age_seconds <= lifetime


def test_only_hashes_are_stored(session, settings):
    user = make_user(session)
    started, cookie = _logged_in(session, settings, user)
    row = session.get(DashboardSession, started.session_id)
    token = unsign_cookie(settings, cookie.value)
    stored = {row.token_hash, row.ticket_hash}
    assert token not in stored and started.ticket not in stored and cookie.value not in stored


def test_a_ticket_is_spent_once(session, settings):
    user = make_user(session)
    started, _cookie = _logged_in(session, settings, user)
    with pytest.raises(AuthenticationError):
        redeem_ticket(session, settings=settings, ticket=started.ticket)


def test_an_old_ticket_is_refused(session, settings):
    user = make_user(session)
    started = start_session(session, settings=settings, user=user)
    row = session.get(DashboardSession, started.session_id)
    row.ticket_expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    with pytest.raises(AuthenticationError):
        redeem_ticket(session, settings=settings, ticket=started.ticket)


def test_a_forged_or_tampered_cookie_names_nothing(session, settings):
    user = make_user(session)
    _started, cookie = _logged_in(session, settings, user)
    token, _, mac = cookie.value.rpartition(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    for value in (f"{token}.{flipped}", token, "", None, sign_token(settings, "made-up-token")):
        assert resolve_cookie(session, settings=settings, cookie=value) is None
    other_secret = settings.model_copy(update={"jwt_secret": None, "data_dir": settings.data_dir / "other"})
    assert resolve_cookie(session, settings=other_secret, cookie=cookie.value) is None


def test_an_expired_session_names_nothing(session, settings):
    user = make_user(session)
    started, cookie = _logged_in(session, settings, user)
    session.get(DashboardSession, started.session_id).expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert resolve_cookie(session, settings=settings, cookie=cookie.value) is None
    assert not is_session_live(session, session_id=started.session_id)


def test_log_out_revokes_the_session(session, settings):
    user = make_user(session)
    started, cookie = _logged_in(session, settings, user)
    revoke_session(session, session_id=started.session_id)
    assert resolve_cookie(session, settings=settings, cookie=cookie.value) is None
    assert find_cookie_session(session, settings=settings, cookie=cookie.value) is None
    assert session.get(DashboardSession, started.session_id).revoked_reason == "logout"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (UserUpdate(password="a-new-password-1"), "password_changed"),
        (UserUpdate(role=Role.VIEWER), "privileges_changed"),
        (UserUpdate(is_active=False), "privileges_changed"),
    ],
)
def test_password_role_or_access_change_revokes_every_session(session, settings, change, reason):
    admin = make_user(session, role=Role.ADMIN)
    user = make_user(session)
    bystander = make_user(session)
    sessions = [_logged_in(session, settings, user) for _ in range(2)]
    _other, other_cookie = _logged_in(session, settings, bystander)
    update_user(session, actor=admin, user_id=user.id, data=change)
    for started, cookie in sessions:
        assert resolve_cookie(session, settings=settings, cookie=cookie.value) is None
        assert session.get(DashboardSession, started.session_id).revoked_reason == reason
    assert resolve_cookie(session, settings=settings, cookie=other_cookie.value) is not None


def test_a_name_change_keeps_sessions(session, settings):
    user = make_user(session)
    _started, cookie = _logged_in(session, settings, user)
    update_user(session, actor=user, user_id=user.id, data=UserUpdate(full_name="New Name"))
    assert resolve_cookie(session, settings=settings, cookie=cookie.value) is not None


def test_deleting_a_user_deletes_their_sessions(session, settings):
    admin = make_user(session, role=Role.ADMIN)
    user = make_user(session)
    _logged_in(session, settings, user)
    user_id = user.id
    delete_user(session, actor=admin, user_id=user_id)
    session.expire_all()
    assert session.scalars(select(DashboardSession).where(DashboardSession.user_id == user_id)).all() == []
