"""The MCP server over stdio: `python -m mcp_server` as a subprocess, through the SDK's client."""

from __future__ import annotations

import subprocess
import sys

from mcp import Client

from core.audit import list_audit_events
from core.auth.access_tokens import revoke_personal_token
from core.auth.service import get_user
from core.db.session import session_scope
from core.portfolio.holdings import list_holdings
from mcp_server.server import build_server
from tests.mcp.checks import check_forecast_and_backtest, check_reads_as, check_tool_list, tool_error
from tests.mcp.conftest import stdio_client

BUY_MSFT = {"date": "2016-07-01", "ticker": "MSFT", "type": "buy", "quantity": 1, "price": 51.0}


async def test_every_tool_as_two_users_then_a_revoked_token_is_refused(world):
    async with stdio_client(world, world.tokens["bob_stdio"]) as client:
        await check_tool_list(client)
        await check_reads_as(client, world, "bob")
        await check_forecast_and_backtest(client)
        assert await tool_error(client, "record_activity", {"activity": BUY_MSFT}) == (
            "this access token lacks the 'write' scope"
        )
        assert "horizon" in await tool_error(client, "forecast", {"ticker": "MSFT", "horizon": 261})

    async with stdio_client(world, world.tokens["alice_stdio"]) as client:
        await check_reads_as(client, world, "alice")
        recorded = (await client.call_tool("record_activity", {"activity": BUY_MSFT})).structured_content
        assert recorded["ticker"] == "MSFT" and recorded["price"] == 51.0
        with session_scope(world.settings) as session:
            alice = get_user(session, user_id=world.user_ids["alice"])
            bob = get_user(session, user_id=world.user_ids["bob"])
            assert "MSFT" in {s.ticker for s in list_holdings(session, owner=alice)[0]}
            assert {s.ticker: s.quantity for s in list_holdings(session, owner=bob)[0]} == {"MSFT": 5}
            revoke_personal_token(session, user=alice, token_id=world.token_ids["alice_stdio"])
        assert await tool_error(client, "holdings", {}) == "this access token has been revoked"

    with session_scope(world.settings) as session:
        calls = list_audit_events(session, action="mcp.call", user_id=world.user_ids["bob"], limit=1000)
        assert {e.detail["transport"] for e in calls if e.target == f"token:{world.token_ids['bob_stdio']}"} == {
            "stdio"
        }
        refused = list_audit_events(session, action="mcp.refused", user_id=world.user_ids["alice"], limit=1000)
        assert any(e.detail["reason"] == "this access token has been revoked" for e in refused)


def test_the_server_refuses_to_start_with_an_expired_or_missing_token(world):
    command = [sys.executable, "-m", "mcp_server"]
    expired = subprocess.run(
        command,
        env=world.env | {"MCP_TOKEN": world.tokens["alice_expired"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert expired.returncode == 2 and "error: this access token has expired" in expired.stderr
    assert expired.stdout == ""  # nothing on the protocol channel


async def test_calls_beyond_the_rate_limit_are_refused(world):
    settings = world.settings.model_copy(update={"rate_limit_mcp": "3/minute"})
    async with Client(build_server(settings, stdio_secret=world.tokens["bob_read"])) as client:
        for _ in range(3):
            assert not (await client.call_tool("list_tickers", {})).is_error
        text = await tool_error(client, "list_tickers", {})
        assert text.startswith("too many calls; try again in ")
