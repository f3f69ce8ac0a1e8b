"""Schemathesis against the app's own OpenAPI schema, in process (ASGI), with a real token.

Every operation in the schema at run time is fuzzed with valid and invalid inputs; no input may
cause a 5xx, and every answer must match the schema (a declared status, its body and content
type). The app
runs on its own freshly migrated database (it commits), SQLite always and PostgreSQL when
TEST_DATABASE_URL is set. STOCKCAST_FUZZ_EXAMPLES sets the examples per operation and mode.
"""

from __future__ import annotations

import os
import uuid
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import make_url

from core.auth.schemas import UserCreate
from core.auth.service import register_user
from core.auth.tokens import create_access_token
from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope

EXAMPLES = int(os.environ.get("STOCKCAST_FUZZ_EXAMPLES", "12"))
# status_code_conformance: every status answered is declared, so a generated client knows it.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
REQUEST_TIMEOUT_SECONDS = 60  # the first chat call loads an embedding model

# Failures found by this test in other areas, reported to their owners: each is a warning
# here (not a failure) until fixed. Delete the line when the operation passes.
KNOWN_ISSUES: dict[str, str] = {
    # "GET /api/example": "what fails, and who was told",
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_database_url(request, tmp_path_factory):
    """A database of its own: the fuzzed app commits what it creates."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        upgrade_to_head(url)
        yield url
        return
    server_url = os.environ.get("TEST_DATABASE_URL", "")
    if not server_url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL fuzzing skipped")
    import psycopg

    name = f"stockcast_fuzz_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    shutdown_lifespans()  # closes the app's pool before the drop
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fuzz_app(fuzz_database_url, tmp_path_factory):
    from api.main import create_app

    fuzz_settings = Settings(
        database_url=fuzz_database_url,
        data_dir=tmp_path_factory.mktemp("fuzz-data"),
        jwt_secret=os.environ["JWT_SECRET"],
        migrate_on_start=False,
        offline=True,
        rate_limit_enabled=False,  # fuzzing is a flood by design
    )
    with session_scope(fuzz_settings) as session:
        user = register_user(session, data=UserCreate(email="fuzz@example.com", password="fuzz-password-1"))
        session.flush()
        token = create_access_token(fuzz_settings, user_id=user.id, role=user.role.value)
        user_id = user.id
    app = create_app(fuzz_settings)
    app.state.fuzz_auth = {"Authorization": f"Bearer {token}"}
    app.state.fuzz_user_id = user_id
    return app


def _fuzz(operation, app) -> None:
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: it multiplies the time of a failure
        report_multiple_bugs=False,
    )
    def run(case) -> None:
        if case.path_parameters and case.path_parameters.get("user_id") == app.state.fuzz_user_id:
            case.path_parameters["user_id"] += 10_000  # keep the fuzzing account (and its token) alive
        case.call_and_validate(headers=app.state.fuzz_auth, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS)

    run()


def _summary(exc: BaseException, lines: int = 25) -> str:
    text = "\n".join(line for line in str(exc).splitlines() if line.strip())
    nested = getattr(exc, "exceptions", None)
    if nested and not text.count("\n"):
        text += "\n" + "\n".join(str(error).splitlines()[0] for error in nested)
    return "\n".join(text.splitlines()[:lines])


def test_no_input_breaks_the_api(fuzz_app):
    """Each operation fuzzed in turn; all failures are reported together, by operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, fuzz_app)
        except (Exception, BaseExceptionGroup) as exc:  # a check failed (after shrinking): report all
            if operation.label in KNOWN_ISSUES:
                warnings.warn(f"known issue, {operation.label}: {KNOWN_ISSUES[operation.label]}", stacklevel=1)
            else:
                failures.append(f"{operation.label}: {_summary(exc)}")
    assert operations > 0
    assert not failures, f"{len(failures)} of {operations} operations failed:\n\n" + "\n\n".join(failures)
