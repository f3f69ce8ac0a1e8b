"""The Settings page: create a token (its secret shown once), list tokens, revoke one."""

from __future__ import annotations

from core.auth.access_tokens import authenticate_personal_token, list_personal_tokens
from core.auth.service import get_user
from core.db.session import session_scope
from core.errors import AuthenticationError
from tests.ui.conftest import error_texts, open_page

PAGE = "pages/8_Settings.py"


def _tokens(settings, user_id):
    with session_scope(settings) as session:
        return list_personal_tokens(session, user=get_user(session, user_id=user_id))


def test_creating_shows_the_secret_once_then_lists_and_revokes(ui_settings, empty_user, viewer):
    at = open_page(PAGE, empty_user)
    assert not at.exception and not error_texts(at)
    assert at.info[0].value.startswith("You have no tokens yet")

    at.text_input(key="token_name").input("Claude Desktop")
    at.radio(key="token_access").set_value("Read and write (record activities)")
    at.number_input(key="token_days").set_value(30)
    at = at.button[0].click().run()
    assert not at.exception and not error_texts(at)
    assert at.success[0].value == "Token “Claude Desktop” created."
    secret = at.code[0].value
    assert secret.startswith("sc_pat_")
    (token,) = _tokens(ui_settings, empty_user.user_id)
    assert token.name == "Claude Desktop" and token.scopes == ["read", "write"] and token.status == "active"
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    with session_scope(ui_settings) as session:
        user, _ = authenticate_personal_token(session, secret=secret)
        assert user.id == empty_user.user_id
    table = at.dataframe[0].value
    assert table["Name"].tolist() == ["Claude Desktop"] and table["Status"].tolist() == ["active"]
    assert "None" not in table.astype(str).to_numpy()  # "—" where a token was never used
    assert table["Last used"].tolist() == ["—"]
    assert table["Token"].tolist() == [f"{token.token_prefix}…"] and secret not in table.to_string()

    at = at.run()  # any later run: the secret is gone from the page
    assert all(secret not in block.value for block in at.code)

    at = at.button(key="revoke_token").click().run()
    assert at.success[0].value == "Token “Claude Desktop” revoked; it is refused from now on."
    assert at.dataframe[0].value["Status"].tolist() == ["revoked"]
    with session_scope(ui_settings) as session:
        try:
            authenticate_personal_token(session, secret=secret)
        except AuthenticationError as exc:
            assert exc.message == "this access token has been revoked"
        else:
            raise AssertionError("a revoked token was accepted")
    # Another user sees none of these tokens.
    assert open_page(PAGE, viewer).info[0].value.startswith("You have no tokens yet")


def test_a_blank_name_is_refused_with_the_field_named(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    at.text_input(key="token_name").input("   ")
    at = at.button[0].click().run()
    assert any("Name" in text for text in error_texts(at)), error_texts(at)
    assert _tokens(ui_settings, empty_user.user_id) == []


def test_the_page_shows_a_client_configuration(ui_settings, empty_user):
    at = open_page(PAGE, empty_user)
    snippet = at.code[0].value
    assert '"command": "python"' in snippet and '"MCP_TOKEN"' in snippet
    url = f"http://{ui_settings.mcp_host}:{ui_settings.mcp_port}/mcp"
    assert any(url in caption.value for caption in at.caption)
