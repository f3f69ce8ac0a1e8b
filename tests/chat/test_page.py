"""The Chat page (AppTest): history per user, a question answered with its sources."""

from __future__ import annotations

import uuid

import pytest

from core.config import Settings, get_settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from tests.chat.factories import make_portfolio
from tests.ui.conftest import LoggedIn, open_page

PAGE = "pages/5_Chat.py"


@pytest.fixture(scope="module")
def page_database(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A migrated database of the chat page tests' own (pages commit through session_scope)."""
    path = tmp_path_factory.mktemp("chat-page") / "stockcast.db"
    settings = Settings(database_url=f"sqlite:///{path}", data_dir=path.parent, migrate_on_start=False, offline=True)
    upgrade_to_head(settings.database_url)
    return settings


@pytest.fixture
def page_settings(page_database: Settings, embedding_model, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", page_database.database_url)
    monkeypatch.setenv("DATA_DIR", str(page_database.data_dir))
    monkeypatch.setenv("MIGRATE_ON_START", "false")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _investor(settings: Settings, holdings: dict) -> LoggedIn:
    email = f"chat-{uuid.uuid4().hex[:8]}@example.com"
    with session_scope(settings) as session:
        user = make_portfolio(session, holdings, email=email)
        return LoggedIn(user_id=user.id, role=user.role.value, email=email)


def test_ask_on_the_page_then_see_it_in_the_history(page_settings):
    user = _investor(page_settings, {"ORCH": (40.0, 45.0)})
    at = open_page(PAGE, user)
    assert not at.exception and "Ask a question" in at.info[0].value
    at = at.chat_input[0].set_value("What is my portfolio worth?").run()
    assert not at.exception and not at.error
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    assert "Your portfolio is worth" in at.chat_message[1].markdown[0].value
    assert at.expander[0].label == "Sources (1)"

    other = _investor(page_settings, {"VOLT": (5.0, 80.0)})
    again = open_page(PAGE, user)
    assert [m.name for m in again.chat_message] == ["user", "assistant"]  # from the stored history
    assert not open_page(PAGE, other).chat_message  # each user sees their own conversation only


def test_logged_out_shows_the_login_form(page_settings):
    at = open_page(PAGE, None)
    assert not at.exception and not at.chat_input
