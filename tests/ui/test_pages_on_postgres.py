"""The pages on PostgreSQL (when TEST_DATABASE_URL is set): render with the demo portfolio,
and a holding added through the Portfolio page lands in the database.

Pages commit their own units of work, so they get a database of their own on the test server
(`<test database>_ui`, recreated per run) rather than the shared, rolled-back one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.config import Settings, get_settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from tests.ui.conftest import LoggedIn, error_texts, open_page

PAGES = [
    "app.py",
    "pages/1_Portfolio.py",
    "pages/2_Stock.py",
    "pages/3_Predictions.py",
    "pages/4_Backtests.py",
    "pages/6_Admin.py",
]


@pytest.fixture(scope="module")
def postgres_ui(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL page tests skipped")
    import psycopg

    url = make_url(base)
    name = f"{url.database}_ui"
    admin_url = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    data_dir: Path = tmp_path_factory.mktemp("ui-pg")
    settings = Settings(
        database_url=url.set(database=name).render_as_string(hide_password=False),
        data_dir=data_dir,
        migrate_on_start=False,
        offline=True,
        demo_user_email="demo@example.com",
    )
    upgrade_to_head(settings.database_url)
    from core.demo import seed_demo

    with session_scope(settings) as session:
        seed_demo(session, settings=settings)
    return settings


@pytest.fixture
def pg_demo(postgres_ui: Settings, monkeypatch: pytest.MonkeyPatch) -> LoggedIn:
    from core.auth.service import find_user_by_email

    monkeypatch.setenv("DATABASE_URL", postgres_ui.database_url)
    monkeypatch.setenv("DATA_DIR", str(postgres_ui.data_dir))
    monkeypatch.setenv("MIGRATE_ON_START", "false")
    get_settings.cache_clear()
    with session_scope(postgres_ui) as session:
        user = find_user_by_email(session, postgres_ui.demo_user_email)
        yield LoggedIn(user_id=user.id, role=user.role.value, email=user.email)
    get_settings.cache_clear()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_postgres(page, pg_demo):
    at = open_page(page, pg_demo, stock_model="drift")
    assert not at.exception, at.exception
    assert not error_texts(at)


def test_a_holding_added_on_postgres_is_stored(pg_demo, postgres_ui):
    from core.auth.service import get_user
    from core.portfolio.holdings import list_holdings

    at = open_page("pages/1_Portfolio.py", pg_demo)
    at.text_input(key="add_ticker").input("PG")
    at.number_input(key="add_quantity").set_value(3)
    at.number_input(key="add_cost").set_value(70)
    at = next(b for b in at.button if b.label == "Add holding").click().run()
    assert not error_texts(at)
    with session_scope(postgres_ui) as session:
        rows, _ = list_holdings(session, owner=get_user(session, user_id=pg_demo.user_id))
        assert ("PG", 3.0) in [(row.ticker, row.quantity) for row in rows]
