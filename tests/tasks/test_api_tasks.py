"""Long requests as tasks over the API: started on one process (202 + Location), polled on
another until done, with the synchronous route's result; private to their owner; a refused or
failing one shows `failed` with a clear error and writes nothing; a dead one is reaped."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from sqlalchemy import func, select

from core.db.session import session_scope
from core.db.tables import JobStatus, Role, Stock, Transaction, UserTask, utcnow
from tests.tasks.conftest import TwoProcesses, commit_person

PROJECTION = {"horizon": 5, "confidence": 0.95, "model": "naive"}
CSV = (
    "date,ticker,type,quantity,price,fee\n"
    "2016-01-04,AAPL,buy,10,105.35,4.95\n"
    "2016-04-01,AAPL,dividend,10,0.52,0\n"
    "2016-06-01,AAPL,sell,4,98.46,4.95\n"
    "2016-06-02,MSFT,buy,3,52.0,1.0\n"
)


async def poll(client, location: str, headers: dict[str, str], *, seconds: float = 120) -> tuple[dict, list[dict]]:
    """GET the task until it is finished; (the last answer, every answer seen)."""
    seen: list[dict] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = await client.get(location, headers=headers)
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if seen[-1]["status"] in ("succeeded", "failed"):
            return seen[-1], seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"the task never finished: {seen[-1]}")


def count(settings, model, **where) -> int:
    with session_scope(settings, write=False) as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query)


def ledger(settings, owner_id: int) -> list[tuple]:
    with session_scope(settings, write=False) as session:
        rows = session.scalars(select(Transaction).where(Transaction.owner_id == owner_id).order_by(Transaction.id))
        return [(t.date, t.ticker, t.type, t.quantity, t.price, t.fee, t.amount) for t in rows]


def positions(settings, owner_id: int) -> dict[str, tuple[float, float]]:
    with session_scope(settings, write=False) as session:
        rows = session.scalars(select(Stock).where(Stock.owner_id == owner_id))
        return {s.ticker: (s.quantity, round(s.avg_cost, 9)) for s in rows}


async def test_a_projection_task_started_on_one_process_is_followed_on_another(apps: TwoProcesses):
    owner = commit_person(apps.settings, holdings={"AAPL": 10, "MSFT": 5, "KO": 20})
    started = await apps.first.post("/api/portfolio/projection/tasks", params=PROJECTION, headers=owner.headers)
    assert started.status_code == 202, started.text
    task = started.json()
    assert started.headers["location"] == f"/api/tasks/{task['id']}"
    assert (task["kind"], task["status"], task["result"]) == ("portfolio.projection", "queued", None)

    final, seen = await poll(apps.second, started.headers["location"], owner.headers)
    assert final["status"] == "succeeded" and final["error"] is None
    assert (final["done"], final["total"]) == (3, 3) and final["finished_at"] >= final["started_at"]
    progress = [(s["done"], s["total"]) for s in seen]
    assert progress == sorted(progress)  # never goes back
    # The same figures as the synchronous route (which integrations keep using).
    sync = await apps.second.get("/api/portfolio/projection", params=PROJECTION, headers=owner.headers)
    assert sync.status_code == 200 and final["result"] == sync.json()

    stranger = commit_person(apps.settings, holdings={"KO": 1})
    for client in (apps.first, apps.second):
        hidden = await client.get(started.headers["location"], headers=stranger.headers)
        assert hidden.status_code == 404 and hidden.json()["detail"] == f"task {task['id']} not found"
    assert (await apps.first.get("/api/tasks/999999", headers=owner.headers)).status_code == 404


async def test_a_projection_of_no_holdings_fails_with_the_routes_reason(apps: TwoProcesses):
    owner = commit_person(apps.settings)
    started = await apps.first.post("/api/portfolio/projection/tasks", params=PROJECTION, headers=owner.headers)
    final, _ = await poll(apps.second, started.headers["location"], owner.headers)
    sync = await apps.first.get("/api/portfolio/projection", params=PROJECTION, headers=owner.headers)
    assert sync.status_code == 422
    assert (final["status"], final["error"], final["result"]) == ("failed", sync.json()["detail"], None)


async def test_an_import_task_leaves_what_the_synchronous_import_leaves(apps: TwoProcesses):
    by_task, by_request = commit_person(apps.settings), commit_person(apps.settings)
    files = {"file": ("t.csv", CSV.encode(), "text/csv")}
    started = await apps.first.post("/api/portfolio/transactions/import/tasks", files=files, headers=by_task.headers)
    assert started.status_code == 202, started.text
    assert started.json()["message"] == "Queued: importing 4 activities"
    final, _ = await poll(apps.second, started.headers["location"], by_task.headers)
    sync = await apps.second.post("/api/portfolio/transactions/import", files=files, headers=by_request.headers)

    assert sync.status_code == 201 and final["status"] == "succeeded"
    assert final["result"] == sync.json() == {"imported": 4, "tickers": ["AAPL", "MSFT"]}
    assert (final["done"], final["total"]) == (3, 3)
    assert ledger(apps.settings, by_task.id) == ledger(apps.settings, by_request.id) != []
    held = positions(apps.settings, by_task.id)
    assert held == positions(apps.settings, by_request.id)
    assert {ticker: quantity for ticker, (quantity, _cost) in held.items()} == {"AAPL": 6.0, "MSFT": 3.0}


async def test_a_bad_file_is_refused_at_once_and_nothing_is_recorded(apps: TwoProcesses):
    owner = commit_person(apps.settings)
    bad = CSV + "2016-06-03,AAPL,buy,-1,10,0\nnot-a-date,MSFT,buy,1,10,0\n"
    response = await apps.first.post(
        "/api/portfolio/transactions/import/tasks",
        files={"file": ("t.csv", bad.encode(), "text/csv")},
        headers=owner.headers,
    )
    assert response.status_code == 422
    assert {problem["row"] for problem in response.json()["errors"]} == {6, 7}
    assert count(apps.settings, UserTask, owner_id=owner.id) == 0
    assert count(apps.settings, Transaction, owner_id=owner.id) == 0

    viewer = commit_person(apps.settings, role=Role.VIEWER)
    refused = await apps.first.post(
        "/api/portfolio/transactions/import/tasks",
        files={"file": ("t.csv", CSV.encode(), "text/csv")},
        headers=viewer.headers,
    )
    assert refused.status_code == 403 and count(apps.settings, UserTask, owner_id=viewer.id) == 0


async def test_an_import_the_ledger_refuses_fails_whole_with_its_problems(apps: TwoProcesses):
    owner = commit_person(apps.settings)
    oversell = CSV + "2016-07-01,MSFT,sell,30,55.0,1.0\n"  # 3 held
    started = await apps.first.post(
        "/api/portfolio/transactions/import/tasks",
        files={"file": ("t.csv", oversell.encode(), "text/csv")},
        headers=owner.headers,
    )
    assert started.status_code == 202
    final, _ = await poll(apps.second, started.headers["location"], owner.headers)
    assert final["status"] == "failed" and final["result"] is None
    assert final["error"] == "1 problem(s) in the transactions file; nothing was imported"
    assert [(p["row"], p["column"]) for p in final["error_details"]] == [(6, "quantity")]
    assert count(apps.settings, Transaction, owner_id=owner.id) == 0
    assert positions(apps.settings, owner.id) == {}


async def test_a_task_whose_process_died_is_failed_within_the_lease(apps: TwoProcesses):
    owner = commit_person(apps.settings, holdings={"AAPL": 1})
    long_ago = utcnow() - dt.timedelta(minutes=5)
    with session_scope(apps.settings) as session:
        # What a killed process leaves: a running task nobody beats for any more.
        dead = UserTask(
            owner_id=owner.id,
            kind="portfolio.projection",
            status=JobStatus.RUNNING,
            done=1,
            total=3,
            message="Forecast AAPL (1 of 3)",
            created_at=long_ago,
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
        session.add(dead)
        session.flush()
        dead_id = dead.id
    final, _ = await poll(apps.first, f"/api/tasks/{dead_id}", owner.headers, seconds=30)
    assert final["status"] == "failed" and final["error"].startswith("abandoned: the server process running it stopped")
    # A live one is beaten for, so never reaped however long it takes.
    started = await apps.first.post("/api/portfolio/projection/tasks", params=PROJECTION, headers=owner.headers)
    live, _ = await poll(apps.second, started.headers["location"], owner.headers)
    assert live["status"] == "succeeded"
