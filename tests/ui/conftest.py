"""Fixtures for page tests: their own migrated SQLite database, users committed to it.

Pages open their own units of work (`session_scope`), so they cannot see a test's rolled-back
transaction; the data they read is committed here instead, in a database of its own so that
the other suites' shared test database keeps its "empty at start" guarantees.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import REPO_ROOT, Settings, get_settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from core.db.tables import Role
from tests.factories import make_user

PAGE_TIMEOUT = 120  # seconds; generous because the test machine's 2 cores are shared


@dataclass(frozen=True)
class LoggedIn:
    user_id: int
    role: str
    email: str


@pytest.fixture(scope="session")
def ui_database(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A migrated database for the page tests, seeded with the bundled prices and the demo user."""
    path: Path = tmp_path_factory.mktemp("ui-db") / "stockcast.db"
    settings = Settings(
        database_url=f"sqlite:///{path}",
        data_dir=path.parent,
        migrate_on_start=False,
        offline=True,
        demo_user_email="demo@example.com",
    )
    upgrade_to_head(settings.database_url)
    from core.demo import seed_demo

    with session_scope(settings) as session:
        seed_demo(session, settings=settings)  # bundled prices, the demo user and portfolio
    return settings


@pytest.fixture
def ui_settings(ui_database: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Points get_settings() (which the pages read) at the page tests' database."""
    monkeypatch.setenv("DATABASE_URL", ui_database.database_url)
    monkeypatch.setenv("DATA_DIR", str(ui_database.data_dir))
    monkeypatch.setenv("MIGRATE_ON_START", "false")
    # Each forecast's own skill backtest: few origins, in-process, to keep page tests fast.
    monkeypatch.setenv("SKILL_FOLDS", "3")
    monkeypatch.setenv("SKILL_SPAN", "20")
    monkeypatch.setenv("BACKTEST_WORKERS", "1")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _commit_user(settings: Settings, role: Role) -> LoggedIn:
    email = f"ui-{role.value}-{uuid.uuid4().hex[:8]}@example.com"
    with session_scope(settings) as session:
        user = make_user(session, email=email, role=role)
        return LoggedIn(user_id=user.id, role=role.value, email=email)


@pytest.fixture(scope="session")
def demo_user(ui_database: Settings) -> LoggedIn:
    """The demo user (an admin) with the demo portfolio; prices are seeded with it."""
    from core.auth.service import find_user_by_email

    with session_scope(ui_database) as session:
        user = find_user_by_email(session, ui_database.demo_user_email)
        return LoggedIn(user_id=user.id, role=user.role.value, email=user.email)


@pytest.fixture
def empty_user(ui_settings: Settings) -> LoggedIn:
    return _commit_user(ui_settings, Role.ANALYST)


@pytest.fixture
def viewer(ui_settings: Settings) -> LoggedIn:
    return _commit_user(ui_settings, Role.VIEWER)


@pytest.fixture
def admin(ui_settings: Settings) -> LoggedIn:
    return _commit_user(ui_settings, Role.ADMIN)


def open_page(path: str, user: LoggedIn | None, **session_state) -> AppTest:
    """Run a page (path relative to the repository) as `user`, or logged out when None."""
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=PAGE_TIMEOUT)
    if user is not None:
        at.session_state["user_id"] = user.user_id
        at.session_state["user_role"] = user.role
    for name, value in session_state.items():
        at.session_state[name] = value
    return at.run()


def error_texts(at: AppTest) -> list[str]:
    return [element.value for element in at.error]
