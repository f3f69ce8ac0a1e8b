"""Side-effect parity: a write use case leaves the same rows and the same audit events whichever
face runs it: the API (httpx on the real app), the dashboard (AppTest on the page) or the MCP
server (the SDK's in-memory client). All three write to the page tests' committed database.

Recording an activity is the write every face offers; deleting a holding (audited in core) is
offered by the API and the dashboard.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from typing import Any

import httpx
from mcp import Client
from sqlalchemy import select

from api.main import create_app
from core.audit import list_audit_events
from core.auth.access_token_schemas import AccessTokenCreate
from core.auth.access_tokens import create_personal_token
from core.auth.service import get_user
from core.config import Settings
from core.db.session import session_scope
from core.db.tables import Role, Stock, Transaction
from mcp_server.server import build_server
from tests.ui.conftest import LoggedIn, _commit_user, error_texts, open_page
from tests.ui.test_portfolio_activities import record

PAGE = "pages/1_Portfolio.py"
BOUGHT_ON = dt.date(2016, 6, 1)
BUY = {"date": BOUGHT_ON.isoformat(), "ticker": "KO", "type": "buy", "quantity": 10, "price": 40.0}
# How a face was reached (its log-in, token use or MCP call), not what the use case did.
CHANNEL_EVENTS = {"auth.login", "token.use", "mcp.call"}


def api_settings(settings: Settings) -> Settings:
    return Settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        jwt_secret=os.environ["JWT_SECRET"],
        migrate_on_start=False,
        offline=True,
        rate_limit_enabled=False,
        _env_file=None,
    )


def write_token(settings: Settings, user: LoggedIn) -> str:
    with session_scope(settings) as session:
        owner = get_user(session, user_id=user.user_id)
        return create_personal_token(
            session, user=owner, data=AccessTokenCreate(name="parity", scopes=["read", "write"])
        ).token


def via_api(settings: Settings, secret: str, method: str, path: str, body: Any = None) -> httpx.Response:
    async def call() -> httpx.Response:
        app = create_app(api_settings(settings))
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.request(method, path, json=body, headers={"Authorization": f"Bearer {secret}"})

    return asyncio.run(call())


def via_mcp(settings: Settings, secret: str, tool: str, arguments: dict[str, Any]) -> Any:
    async def call() -> Any:
        async with Client(build_server(settings, stdio_secret=secret)) as client:
            return await client.call_tool(tool, arguments)

    return asyncio.run(call())


def ledger(settings: Settings, user: LoggedIn) -> list[tuple]:
    with session_scope(settings) as session:
        rows = session.scalars(select(Transaction).where(Transaction.owner_id == user.user_id).order_by(Transaction.id))
        return [(r.date, r.ticker, r.type.value, r.quantity, r.price, r.fee, r.amount) for r in rows]


def holdings(settings: Settings, user: LoggedIn) -> list[tuple]:
    with session_scope(settings) as session:
        rows = session.scalars(select(Stock).where(Stock.owner_id == user.user_id).order_by(Stock.ticker))
        return [(r.ticker, r.quantity, round(r.avg_cost, 6), r.currency, r.opened_at) for r in rows]


def audit_events(settings: Settings, user: LoggedIn) -> list[tuple]:
    """The user's audit events as (action, target kind, detail), ids left out, oldest first."""
    with session_scope(settings) as session:
        events = list_audit_events(session, user_id=user.user_id, limit=1000)
        return [
            (e.action, re.sub(r":\d+$", ":<id>", e.target or ""), e.detail)
            for e in reversed(events)
            if e.action not in CHANNEL_EVENTS and not e.action.startswith("token.")
        ]


def holding_id(settings: Settings, user: LoggedIn, ticker: str) -> int:
    with session_scope(settings) as session:
        return session.scalar(select(Stock.id).where(Stock.owner_id == user.user_id, Stock.ticker == ticker))


def test_recording_an_activity_leaves_the_same_rows_and_events_through_every_face(ui_settings):
    api_user, page_user, mcp_user = (_commit_user(ui_settings, Role.ANALYST) for _ in range(3))

    response = via_api(ui_settings, write_token(ui_settings, api_user), "POST", "/api/portfolio/transactions", BUY)
    assert response.status_code == 201, response.text

    at = record(open_page(PAGE, page_user), "Buy", ticker="KO", day=BOUGHT_ON, quantity=10, price=40.0)
    assert not at.exception and not error_texts(at), error_texts(at)

    result = via_mcp(ui_settings, write_token(ui_settings, mcp_user), "record_activity", {"activity": BUY})
    assert not result.is_error, result.content

    expected = [(BOUGHT_ON, "KO", "buy", 10.0, 40.0, 0.0, 0.0)]
    assert ledger(ui_settings, api_user) == ledger(ui_settings, page_user) == ledger(ui_settings, mcp_user)
    assert [row[:5] for row in ledger(ui_settings, api_user)] == [row[:5] for row in expected]
    assert holdings(ui_settings, api_user) == holdings(ui_settings, page_user) == holdings(ui_settings, mcp_user)
    assert holdings(ui_settings, api_user)[0][:3] == ("KO", 10.0, 40.0)
    assert audit_events(ui_settings, api_user) == audit_events(ui_settings, page_user)
    assert audit_events(ui_settings, api_user) == audit_events(ui_settings, mcp_user)


def test_deleting_a_holding_leaves_the_same_rows_and_audit_through_the_api_and_the_dashboard(ui_settings):
    api_user, page_user = (_commit_user(ui_settings, Role.ANALYST) for _ in range(2))
    api_secret = write_token(ui_settings, api_user)
    assert via_api(ui_settings, api_secret, "POST", "/api/portfolio/transactions", BUY).status_code == 201
    at = record(open_page(PAGE, page_user), "Buy", ticker="KO", day=BOUGHT_ON, quantity=10, price=40.0)
    assert not error_texts(at), error_texts(at)

    stock_id = holding_id(ui_settings, api_user, "KO")
    assert via_api(ui_settings, api_secret, "DELETE", f"/api/portfolio/stock/{stock_id}").status_code == 204

    at = open_page(PAGE, page_user)
    at.selectbox(key="delete_choice").select_index(0)
    at = at.checkbox(key="delete_confirm").check().run()
    at = at.button(key="delete_button").click().run()
    assert not error_texts(at), error_texts(at)

    assert holdings(ui_settings, api_user) == holdings(ui_settings, page_user) == []
    assert ledger(ui_settings, api_user) == ledger(ui_settings, page_user)
    api_events, page_events = audit_events(ui_settings, api_user), audit_events(ui_settings, page_user)
    assert api_events == page_events
    assert ("holding.delete", "holding:<id>", {}) in api_events


IMPORT_CSV = "date,ticker,type,quantity,price,fee\n2016-01-04,KO,buy,10,42.0,1\n2016-06-01,KO,sell,4,44.0,1\n"


def import_via_api(settings: Settings, secret: str, *, as_task: bool) -> dict[str, Any]:
    """The CSV through the synchronous import, or its task form polled until done (in the
    same app's lifespan: the task runs in that process)."""

    async def call() -> dict[str, Any]:
        app = create_app(api_settings(settings))
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {secret}"}
        files = {"file": ("broker.csv", IMPORT_CSV.encode(), "text/csv")}
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            if not as_task:
                response = await c.post("/api/portfolio/transactions/import", files=files, headers=headers)
                assert response.status_code == 201, response.text
                return response.json()
            started = await c.post("/api/portfolio/transactions/import/tasks", files=files, headers=headers)
            assert started.status_code == 202, started.text
            for _ in range(600):
                task = (await c.get(started.headers["location"], headers=headers)).json()
                if task["status"] in ("succeeded", "failed"):
                    return task["result"] or task
                await asyncio.sleep(0.05)
            raise AssertionError("the import task never finished")

    return asyncio.run(call())


def test_importing_a_csv_leaves_the_same_rows_and_events_through_the_api_its_task_and_the_dashboard(ui_settings):
    sync_user, task_user, page_user = (_commit_user(ui_settings, Role.ANALYST) for _ in range(3))

    expected = {"imported": 2, "tickers": ["KO"]}
    assert import_via_api(ui_settings, write_token(ui_settings, sync_user), as_task=False) == expected
    assert import_via_api(ui_settings, write_token(ui_settings, task_user), as_task=True) == expected
    at = open_page(PAGE, page_user)
    at.file_uploader(key="transactions_upload").upload("broker.csv", IMPORT_CSV.encode(), "text/csv")
    at = at.run().button(key="import_button").click().run()
    assert not error_texts(at), error_texts(at)

    assert ledger(ui_settings, sync_user) == ledger(ui_settings, task_user) == ledger(ui_settings, page_user)
    assert len(ledger(ui_settings, sync_user)) == 2
    assert holdings(ui_settings, sync_user) == holdings(ui_settings, task_user) == holdings(ui_settings, page_user)
    assert holdings(ui_settings, sync_user)[0][:2] == ("KO", 6.0)
    assert audit_events(ui_settings, sync_user) == audit_events(ui_settings, task_user)
    assert audit_events(ui_settings, sync_user) == audit_events(ui_settings, page_user)
