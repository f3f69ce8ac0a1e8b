"""No secret, password hash or SQL parameter in any log line: messages, fields and rendered
tracebacks alike, from our loggers and from the servers' (issue 21)."""

from __future__ import annotations

import io
import json
import logging
import string
import uuid

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine

from api.main import create_app
from core.auth.passwords import hash_password
from core.auth.tokens import create_access_token
from core.db.engine import sync_url
from core.db.tables import User
from core.logs import configure_logging

PASSWORD = "Sup3r-secret-pa55word"
PAT = "sc_pat_" + "Q7" * 21 + "x"
COOKIE = "stockcast_session=k3y.0f4c00k1e"


@pytest.fixture(params=[True, False], ids=["json", "console"])
def captured_log(request):
    """Everything logged, rendered as production lines (JSON, or console), into a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging(level="DEBUG", json_lines=request.param)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _secrets(settings) -> dict[str, str]:
    hashed = hash_password(PASSWORD)
    return {
        "password": PASSWORD,
        "hash": hashed,
        "hash body": hashed.rsplit("$", 1)[1],
        "jwt": create_access_token(settings, user_id=1, role="admin"),
        "pat": PAT,
        "cookie": COOKIE.split("=", 1)[1],
    }


def _assert_clean(output: str, secrets: dict[str, str]) -> None:
    leaked = [name for name, value in secrets.items() if value in output]
    assert not leaked, f"{leaked} reached the log:\n{output}"


def test_secrets_are_masked_in_messages_fields_and_tracebacks(captured_log, settings):
    secrets = _secrets(settings)
    log = logging.getLogger("stockcast.test")
    log.warning("log-in by %s with password=%s", "a@example.com", PASSWORD)
    log.info("request", extra={"headers": {"Authorization": f"Bearer {secrets['jwt']}", "cookie": COOKIE}})
    log.info("token issued", extra={"detail": f"use {PAT} as Authorization: Bearer {PAT}"})
    try:
        raise RuntimeError(
            f"(IntegrityError) NOT NULL failed\n[SQL: INSERT INTO user (email, hashed_password) VALUES (?, ?)]\n"
            f"[parameters: ('a@example.com', '{secrets['hash']}')]\n"
            f"DETAIL:  Failing row contains (7, null, {secrets['hash']}, f)."
        )
    except RuntimeError:
        log.exception("unhandled error")
    output = captured_log.getvalue()
    _assert_clean(output, secrets)
    assert "a@example.com', '" not in output  # the parameters line is gone whole
    assert output.count("***") >= 6 and "unhandled error" in output and "Traceback" in output


def test_the_servers_own_loggers_go_through_the_same_redaction(settings):
    """uvicorn and Streamlit give their loggers handlers of their own; they are re-routed."""
    secrets = _secrets(settings)
    bypass = io.StringIO()
    server_loggers = [logging.getLogger(name) for name in ("uvicorn.error", f"streamlit.fake_{uuid.uuid4().hex[:6]}")]
    for server_logger in server_loggers:
        server_logger.addHandler(logging.StreamHandler(bypass))
        server_logger.propagate = False
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging(level="INFO", json_lines=True)
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        handler.setFormatter(root.handlers[0].formatter)
        root.addHandler(handler)
        for server_logger in server_loggers:
            try:
                raise ValueError(f"hash {secrets['hash']} token {PAT}")
            except ValueError:
                server_logger.exception("Exception in ASGI application")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert bypass.getvalue() == ""  # nothing written by the servers' own handlers any more
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == [server_logger.name for server_logger in server_loggers]
    _assert_clean(buffer.getvalue(), secrets)


def _fail_inside_a_service(database_url: str, email: str):
    """A route whose use case breaks with the database's own error text: a duplicate e-mail
    inserted through an engine that, unlike the app's, does not hide SQL parameters (MLflow's
    or a library's), and a row missing its e-mail, which PostgreSQL quotes back whole."""

    def fail(duplicate: bool = True) -> None:
        engine = create_engine(sync_url(database_url))
        try:
            with engine.begin() as connection:
                connection.execute(
                    User.__table__.insert(),
                    {
                        "email": email if duplicate else None,
                        "hashed_password": hash_password(PASSWORD),
                        "role": "ANALYST",
                    },
                )
        finally:
            engine.dispose()

    return fail


async def test_failures_through_the_live_app_log_no_secret(live_api, captured_log):
    settings = live_api.settings
    secrets = _secrets(settings)
    email = f"quiet-{uuid.uuid4().hex[:8]}@example.com"
    app = create_app(settings)
    fail = _fail_inside_a_service(settings.database_url, email)
    app.add_api_route("/test/duplicate", lambda: fail(duplicate=True), methods=["POST"])
    app.add_api_route("/test/missing-email", lambda: fail(duplicate=False), methods=["POST"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/api/users", json={"email": email, "password": PASSWORD})).status_code == 201
        again = await client.post("/api/users", json={"email": email, "password": PASSWORD})  # integrity error
        assert again.status_code == 409
        wrong = await client.post("/api/auth/token", data={"username": email, "password": "not-" + PASSWORD})
        assert wrong.status_code == 401
        login = await client.post("/api/auth/token", data={"username": email, "password": PASSWORD})
        token = login.json()["access_token"]
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}x"})  # refused
        await client.get("/api/portfolio", headers={"Authorization": f"Bearer {PAT}", "Cookie": COOKIE})
        assert (await client.post("/test/duplicate")).status_code == 500
        assert (await client.post("/test/missing-email")).status_code == 500
    output = captured_log.getvalue()
    assert output.count("unhandled error") == 2 and "IntegrityError" in output  # the failures were logged…
    _assert_clean(
        output, secrets | {"token": token, "token signature": token.split(".")[2], "email param": f"'{email}'"}
    )


SECRET_SHAPES = [
    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
    "$2b$12$" + "a" * 53,
    PAT,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "BEARER abc.def",
    "Basic dXNlcjpwYXNz",
    "PassWord=hunter2",
    '"api-key": "k-123"',
    COOKIE,
    "[parameters: ('a@b.c', 'x')]",
    "Key (email)=(a@b.c) already exists",
    "Failing row contains (1, a@b.c)",
]


@given(st.lists(st.one_of(st.sampled_from(SECRET_SHAPES), st.text(max_size=12)), max_size=6))
def test_the_quick_check_never_lets_a_secret_shape_through(parts):
    """Text the quick check passes as secret-free is exactly what all the patterns leave alone."""
    from core.redaction import _PATTERNS, redact_text

    text = " ".join(parts)
    slow = text
    for pattern, replacement in _PATTERNS:
        slow = pattern.sub(replacement, slow)
    assert redact_text(text) == slow


# Letters that a case-insensitive search folds onto ASCII ones (the dotless i, the dotted
# capital I, the long s, the Kelvin sign), alone and inside the names it looks for.
FOLDING = ["ı", "İ", "ſ", "\u212a", "ſecret", "tıcket", "apİ-key", "coo\u212aie"]


@given(
    st.lists(
        st.one_of(st.sampled_from(SECRET_SHAPES), st.sampled_from(FOLDING), st.text(string.printable, max_size=8)),
        max_size=6,
    ).map("".join),
    st.sampled_from([str, str.upper, str.lower, str.swapcase]),
)
def test_the_quick_check_answers_as_the_case_insensitive_search(text, case):
    """ASCII text is lowered and searched case-sensitively (core.redaction.may_hold_secret):
    whatever the text and its case, the answer is the case-insensitive search's."""
    from core.redaction import _MAY_HOLD_SECRET, may_hold_secret

    text = case(text)
    assert may_hold_secret(text) == bool(_MAY_HOLD_SECRET.search(text))
