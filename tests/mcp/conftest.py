"""MCP fixtures: a committed SQLite database of two users (alice holds AAPL, bob MSFT) with
access tokens of every kind, a real streamable HTTP server on a free localhost port, and
clients speaking through the SDK's own transports (HTTP, or stdio to `python -m mcp_server`)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from core.auth.access_token_schemas import AccessTokenCreate
from core.auth.access_tokens import create_personal_token, revoke_personal_token
from core.config import REPO_ROOT, Settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from core.db.tables import PersonalAccessToken, PredictionHistory, Role
from core.market.service import load_bundled_prices
from tests.factories import make_holding, make_user


@dataclass(frozen=True)
class World:
    settings: Settings
    env: dict[str, str]  # for a server subprocess
    user_ids: dict[str, int]  # alice, bob, viewer
    tokens: dict[str, str]  # name → secret
    token_ids: dict[str, int]


TOKEN_KINDS = {
    # name: (owner, scopes)
    "alice_read": ("alice", ["read"]),
    "alice_write": ("alice", ["read", "write"]),
    "alice_stdio": ("alice", ["read", "write"]),
    "alice_to_revoke": ("alice", ["read"]),
    "alice_expired": ("alice", ["read"]),
    "alice_revoked": ("alice", ["read"]),
    "bob_read": ("bob", ["read"]),
    "bob_stdio": ("bob", ["read"]),
    "viewer_write": ("viewer", ["read", "write"]),
}


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path = tmp_path_factory.mktemp("mcp-db") / "stockcast.db"
    settings = Settings(
        database_url=f"sqlite:///{path}",
        data_dir=path.parent,
        migrate_on_start=False,
        offline=True,
        rate_limit_mcp="1000/minute",
    )
    upgrade_to_head(settings.database_url)
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=["AAPL", "MSFT"])
        users = {
            "alice": make_user(session, email="alice-mcp@example.com"),
            "bob": make_user(session, email="bob-mcp@example.com"),
            # An analyst until their tokens exist, then demoted: their write token must stop writing.
            "viewer": make_user(session, email="viewer-mcp@example.com"),
        }
        make_holding(
            session, owner=users["alice"], ticker="AAPL", quantity=10, avg_cost=100.0, opened_at=dt.date(2015, 1, 2)
        )
        make_holding(
            session, owner=users["bob"], ticker="MSFT", quantity=5, avg_cost=200.0, opened_at=dt.date(2015, 6, 1)
        )
        # One realised next-day naive forecast each of the own ticker: 2 below what happened.
        for who, ticker in (("alice", "AAPL"), ("bob", "MSFT")):
            session.add(
                PredictionHistory(
                    user_id=users[who].id,
                    ticker=ticker,
                    model="naive",
                    origin_date=dt.date(2016, 12, 28),
                    target_date=dt.date(2016, 12, 29),
                    horizon_step=1,
                    predicted_value=100.0,
                    realised_value=102.0,
                    realised_at=dt.datetime(2016, 12, 30, tzinfo=dt.UTC),
                )
            )
        tokens, token_ids = {}, {}
        for name, (owner, scopes) in TOKEN_KINDS.items():
            created = create_personal_token(
                session, user=users[owner], data=AccessTokenCreate(name=name, scopes=scopes)
            )
            tokens[name], token_ids[name] = created.token, created.id
        users["viewer"].role = Role.VIEWER
        session.get(PersonalAccessToken, token_ids["alice_expired"]).expires_at = dt.datetime.now(
            dt.UTC
        ) - dt.timedelta(minutes=1)
        revoke_personal_token(session, user=users["alice"], token_id=token_ids["alice_revoked"])
        user_ids = {name: user.id for name, user in users.items()}
    env = dict(os.environ) | {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "MIGRATE_ON_START": "false",
        "RATE_LIMIT_MCP": settings.rate_limit_mcp,
        "PYTHONPATH": str(REPO_ROOT),
        "LOG_LEVEL": "WARNING",
    }
    return World(settings=settings, env=env, user_ids=user_ids, tokens=tokens, token_ids=token_ids)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def http_url(world: World) -> str:
    """A real streamable HTTP MCP server (uvicorn) on a free localhost port, for the whole run."""
    import uvicorn

    from mcp_server.server import http_app

    settings = world.settings.model_copy(update={"mcp_port": free_port()})
    server = uvicorn.Server(
        uvicorn.Config(http_app(settings), host="127.0.0.1", port=settings.mcp_port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the MCP HTTP server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{settings.mcp_port}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


@asynccontextmanager
async def http_client(url: str, secret: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def stdio_parameters(world: World, secret: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_server"],
        env=world.env | {"MCP_TOKEN": secret},
        cwd=str(REPO_ROOT),
    )


@asynccontextmanager
async def stdio_client(world: World, secret: str) -> AsyncIterator[Client]:
    async with Client(stdio_parameters(world, secret), read_timeout_seconds=120) as client:
        yield client
