"""The MCP server over streamable HTTP (a real server on localhost), through the SDK's client."""

from __future__ import annotations

import httpx
import pytest
from mcp import MCPError

from core.audit import list_audit_events
from core.auth.access_tokens import revoke_personal_token
from core.auth.service import get_user
from core.db.session import session_scope
from core.portfolio.holdings import list_holdings
from tests.mcp.checks import (
    check_forecast_and_backtest,
    check_projection_with_progress,
    check_reads_as,
    check_tool_list,
    tool_error,
)
from tests.mcp.conftest import http_client

BUY_MSFT = {"date": "2016-06-01", "ticker": "MSFT", "type": "buy", "quantity": 2, "price": 50.0, "fee": 1.0}


async def test_lists_every_tool_with_typed_schemas(world, http_url):
    async with http_client(http_url, world.tokens["alice_read"]) as client:
        await check_tool_list(client)


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_every_read_tool_answers_as_the_tokens_user(world, http_url, who):
    async with http_client(http_url, world.tokens[f"{who}_read"]) as client:
        await check_reads_as(client, world, who)


async def test_forecast_with_skill_and_backtest_with_progress(world, http_url):
    async with http_client(http_url, world.tokens["bob_read"]) as client:
        await check_forecast_and_backtest(client)


async def test_portfolio_projection_reports_progress_from_the_first_second(world, http_url):
    async with http_client(http_url, world.tokens["bob_read"]) as client:
        await check_projection_with_progress(client, world, "bob")


async def test_recording_needs_a_write_token_and_the_write_role(world, http_url):
    async with http_client(http_url, world.tokens["alice_read"]) as client:
        text = await tool_error(client, "record_activity", {"activity": BUY_MSFT})
        assert text == "this access token lacks the 'write' scope"
    async with http_client(http_url, world.tokens["viewer_write"]) as client:
        text = await tool_error(client, "record_activity", {"activity": BUY_MSFT})
        assert "viewers have read-only access" in text
    async with http_client(http_url, world.tokens["alice_write"]) as client:
        recorded = (await client.call_tool("record_activity", {"activity": BUY_MSFT})).structured_content
        assert recorded["ticker"] == "MSFT" and recorded["quantity"] == 2 and recorded["type"] == "buy"
    with session_scope(world.settings) as session:
        alice = get_user(session, user_id=world.user_ids["alice"])
        bob = get_user(session, user_id=world.user_ids["bob"])
        assert {s.ticker: s.quantity for s in list_holdings(session, owner=alice)[0]} == {"AAPL": 10, "MSFT": 2}
        assert {s.ticker: s.quantity for s in list_holdings(session, owner=bob)[0]} == {"MSFT": 5}
        refused = list_audit_events(session, action="mcp.refused", user_id=world.user_ids["alice"])
        assert any(
            e.target == f"token:{world.token_ids['alice_read']}" and e.detail["target"] == "record_activity"
            for e in refused
        )
        calls = list_audit_events(session, action="mcp.call", user_id=world.user_ids["alice"])
        assert any(
            e.detail == {"method": "tools/call", "target": "record_activity", "transport": "http"} for e in calls
        )


@pytest.mark.parametrize("kind", ["alice_expired", "alice_revoked", None, "sc_pat_" + "0" * 43])
async def test_unusable_tokens_get_401_before_any_session(world, http_url, kind):
    secret = world.tokens.get(kind, kind) if kind else None
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx.AsyncClient() as http:
        response = await http.post(http_url, json=body, headers=headers | accept)
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"
    with pytest.raises(Exception):  # noqa: B017 (the SDK's client surfaces the 401 as its own error)
        async with http_client(http_url, secret) as client:
            await client.list_tools()


async def test_a_token_revoked_mid_session_is_refused_from_its_next_request(world, http_url):
    # Over HTTP every request is checked again by the bearer middleware: the next one gets 401,
    # which the SDK's client raises as an MCPError (the per-call gate would refuse it too).
    refused = None
    try:
        async with http_client(http_url, world.tokens["alice_to_revoke"]) as client:
            assert not (await client.call_tool("holdings", {})).is_error
            with session_scope(world.settings) as session:
                alice = get_user(session, user_id=world.user_ids["alice"])
                revoke_personal_token(session, user=alice, token_id=world.token_ids["alice_to_revoke"])
            await client.call_tool("holdings", {})
    except* MCPError as group:  # the client's task group wraps it
        refused = group
    assert refused is not None and "Server returned an error response" in repr(refused)


async def test_bad_input_is_answered_with_an_error_naming_the_field(world, http_url):
    async with http_client(http_url, world.tokens["alice_write"]) as client:
        assert "horizon" in await tool_error(client, "forecast", {"ticker": "AAPL", "horizon": 0})
        assert "models.0" in await tool_error(client, "run_backtest", {"ticker": "AAPL", "models": ["bogus"]})
        assert "ticker" in await tool_error(client, "price_history", {})
        text = await tool_error(client, "record_activity", {"activity": BUY_MSFT | {"quantity": -1}})
        assert "activity.quantity" in text
        text = await tool_error(client, "price_history", {"ticker": "NOPE"})
        assert "NOPE" in text
