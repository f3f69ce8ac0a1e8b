"""Use cases heavy on CPU run in work processes beside the serving one (core.db.work_processes):
as the caller, committed before the answer comes back, errors whole, and a process that dies
answered with a 503 and replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.deps import Caller, ServiceRunner
from api.main import create_app
from core.auth.tokens import AccessClaims
from core.config import Settings
from core.db.session import session_scope
from core.db.tables import ChatHistory, Transaction, User
from core.db.work_processes import WorkProcesses, WorkProcessLostError, cpu_heavy
from core.errors import AuthenticationError, InvalidInputError
from core.market.service import load_bundled_prices
from core.portfolio.ledger import import_file
from tests.factories import make_user

CSV = b"""date,ticker,type,quantity,price,fee
2016-01-04,AAPL,buy,10,105.35,4.95
2016-02-01,KO,buy,20,42.5,4.95
2016-06-01,AAPL,sell,4,98.46,4.95
"""
BAD_CSV = b"date,ticker,type,quantity,price,fee\n2016-01-04,AAPL,sell,1,1,0\n2016-01-05,FAKE,buy,1,1,0\n"


@cpu_heavy
def note_where_it_ran(session, *, user, text: str) -> int:
    session.add(ChatHistory(user_id=user.id, role="assistant", content=text, sources=[]))
    return os.getpid()


@cpu_heavy
def refuse_with_details(session, *, owner) -> None:
    session.add(ChatHistory(user_id=owner.id, role="assistant", content="rolled back", sources=[]))
    session.flush()
    raise InvalidInputError("2 bad rows", details=[{"row": 2, "column": "quantity", "reason": "negative"}])


@cpu_heavy
def die(session, *, owner) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would


def notes_of(settings: Settings, user_id: int) -> list[str]:
    with session_scope(settings, write=False) as session:
        return list(session.scalars(select(ChatHistory.content).where(ChatHistory.user_id == user_id)))


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    """One work process for the module: each call carries its own database's settings."""
    url = f"sqlite:///{tmp_path_factory.mktemp('work') / 'unused.db'}"
    processes = WorkProcesses(Settings(database_url=url, work_processes=1, _env_file=None))
    yield processes
    processes.close()


async def test_a_heavy_use_case_runs_in_a_work_process_as_the_caller_and_is_committed_on_return(
    own_database_on_each: Settings, processes: WorkProcesses
):
    settings = own_database_on_each
    with session_scope(settings) as session:
        user = make_user(session)
    run = ServiceRunner(settings, write=True, processes=processes)

    first = await run(note_where_it_ran, user=Caller(user.id), user_arg="user", text="one")
    assert notes_of(settings, user.id) == ["one"]  # committed by the time the call returned
    second = await run(note_where_it_ran, user=Caller(user.id), user_arg="user", text="two")

    assert first != os.getpid()
    assert second == first  # the same process serves the calls that follow


async def test_errors_come_back_whole_and_nothing_they_wrote_is_kept(
    own_database_on_each: Settings, processes: WorkProcesses
):
    settings = own_database_on_each
    with session_scope(settings) as session:
        user = make_user(session)
        gone = make_user(session)
        claims = AccessClaims(user_id=gone.id, token_version=gone.token_version)
        session.get(User, gone.id).is_active = False
    run = ServiceRunner(settings, write=True, processes=processes)

    with pytest.raises(InvalidInputError) as refused:
        await run(refuse_with_details, user=Caller(user.id))
    with pytest.raises(AuthenticationError, match="deactivated"):  # the account is checked in the child
        await run(note_where_it_ran, user=Caller(gone.id, claims), user_arg="user", text="written?")

    assert refused.value.message == "2 bad rows"
    assert refused.value.details == [{"row": 2, "column": "quantity", "reason": "negative"}]
    assert notes_of(settings, user.id) == [] and notes_of(settings, gone.id) == []


async def test_a_process_that_dies_answers_503_and_the_next_call_gets_a_new_one(own_database: Settings):
    processes = WorkProcesses(own_database)
    with session_scope(own_database) as session:
        user = make_user(session)
    run = ServiceRunner(own_database, write=True, processes=processes)
    try:
        before = await run(note_where_it_ran, user=Caller(user.id), user_arg="user", text="before")
        with pytest.raises(WorkProcessLostError):
            await run(die, user=Caller(user.id))
        after = await run(note_where_it_ran, user=Caller(user.id), user_arg="user", text="after")
    finally:
        processes.close()

    assert after not in (before, os.getpid())
    assert notes_of(own_database, user.id) == ["before", "after"]


async def test_with_no_work_processes_the_same_call_runs_in_this_one(own_database: Settings):
    settings = own_database.model_copy(update={"work_processes": 0})
    with session_scope(settings) as session:
        user = make_user(session)
    run = ServiceRunner(settings, write=True, processes=WorkProcesses(settings))

    assert await run(note_where_it_ran, user=Caller(user.id), user_arg="user", text="here") == os.getpid()
    assert notes_of(settings, user.id) == ["here"]


async def test_a_file_import_runs_its_units_in_a_work_process_all_or_nothing(
    own_database_on_each: Settings, processes: WorkProcesses
):
    settings = own_database_on_each
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=["AAPL", "KO"])
        user = make_user(session)
    run = ServiceRunner(settings, write=True, processes=processes)

    with pytest.raises(InvalidInputError) as refused:
        await run.in_units(import_file, user=Caller(user.id), content=BAD_CSV)
    result = await run.in_units(import_file, user=Caller(user.id), content=CSV)

    assert [(e["row"], e["column"]) for e in refused.value.details] == [(2, "quantity"), (3, "ticker")]
    assert (result.imported, result.tickers) == (3, ["AAPL", "KO"])
    with session_scope(settings, write=False) as session:
        assert session.scalar(select(func.count()).where(Transaction.owner_id == user.id)) == 3


async def test_the_api_imports_and_projects_in_its_work_process(own_database_on_each: Settings):
    """The real app, with no test double: its runner hands both routes to its work process."""
    settings = own_database_on_each
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=["AAPL", "KO"])
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            signed_up = await client.post("/api/users", json={"email": "p@example.com", "password": "correct-horse-1"})
            assert signed_up.status_code == 201, signed_up.text
            token = await client.post(
                "/api/auth/token", data={"username": "p@example.com", "password": "correct-horse-1"}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            bad = await client.post(
                "/api/portfolio/transactions/import", files={"file": ("bad.csv", BAD_CSV)}, headers=headers
            )
            imported = await client.post(
                "/api/portfolio/transactions/import", files={"file": ("tx.csv", CSV)}, headers=headers
            )
            holdings = await client.get("/api/portfolio", headers=headers)
            projected = await client.get("/api/portfolio/projection", params={"horizon": 5}, headers=headers)

    assert bad.status_code == 422 and [e["row"] for e in bad.json()["errors"]] == [2, 3]
    assert imported.status_code == 201 and imported.json() == {"imported": 3, "tickers": ["AAPL", "KO"]}
    assert {item["ticker"]: item["quantity"] for item in holdings.json()["items"]} == {"AAPL": 6, "KO": 20}
    assert projected.status_code == 200, projected.text
    assert projected.json()["horizon"] == 5 and projected.json()["current_value"] > 0


def count_to(n: int, *, progress) -> int:
    for done in range(1, n + 1):
        progress(done, n, f"{done} of {n}")
    return os.getpid()


async def test_progress_in_a_work_process_reaches_the_caller_in_order_before_the_call_returns(
    processes: WorkProcesses,
):
    heard: list[tuple[int, int, str]] = []

    def listen(done: int, total: int, message: str | None = None) -> None:
        heard.append((done, total, message))

    pid = await asyncio.to_thread(processes.call_reporting, listen, count_to, 200)

    assert pid != os.getpid()
    assert heard == [(done, 200, f"{done} of 200") for done in range(1, 201)]


KILLED_PARENT = """
import asyncio, os, signal
from core.config import Settings
from core.db.work_processes import WorkProcesses
processes = WorkProcesses(Settings(database_url="sqlite:///{path}", work_processes=2, _env_file=None))
async def children():
    return {{await processes.call(os.getpid), await processes.call(os.getpid)}}
print(*asyncio.run(children()), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_work_processes_exit_when_their_parent_is_killed(tmp_path):
    """An API worker killed outright (kill -9, the OOM killer) leaves no work process behind."""
    parent = subprocess.run(
        [sys.executable, "-c", KILLED_PARENT.format(path=tmp_path / "unused.db")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    children = [int(pid) for pid in parent.stdout.split()]
    assert parent.returncode == -signal.SIGKILL and children, parent.stderr

    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
