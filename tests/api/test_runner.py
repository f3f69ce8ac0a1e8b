"""Every route's use case runs in a worker thread with its own unit of work: the event loop
keeps serving meanwhile, the caller is re-loaded there, and what it writes is committed
before the route answers. A bounded read on PostgreSQL waits on the loop instead."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from api.deps import Caller, ServiceRunner
from core.auth.tokens import AccessClaims
from core.config import Settings
from core.db.loop_reads import bounded_read, close_loop_pool
from core.db.session import session_scope
from core.db.tables import ChatHistory, User
from core.db.work_processes import WorkProcesses
from core.errors import AuthenticationError, InvalidInputError
from core.market.service import load_bundled_prices
from core.memory_store import MemoryStore
from core.portfolio import analytics
from core.portfolio.analytics_cache import AnalyticsCache
from core.portfolio.ledger import record_transaction
from core.portfolio.schemas import TransactionCreate
from tests.factories import make_user


def slow_note(session, *, user, seconds: float, text: str) -> str:
    time.sleep(seconds)  # stands for a model fit or an LLM call
    session.add(ChatHistory(user_id=user.id, role="assistant", content=text, sources=[]))
    return user.email


def refuse(session, *, user) -> None:
    raise InvalidInputError(f"nothing for {user.email}")


async def test_the_loop_keeps_serving_while_a_long_service_runs(own_database):
    with session_scope(own_database) as session:
        user = make_user(session, email=f"w-{uuid.uuid4().hex[:6]}@example.com")
    run = ServiceRunner(own_database, write=True, processes=WorkProcesses(own_database))
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beating = asyncio.create_task(heartbeat())
    email = await run(slow_note, user=Caller(user.id), user_arg="user", seconds=0.5, text="done")
    beating.cancel()

    assert email == user.email
    assert ticks >= 20  # the loop ran ~50 heartbeats during the 0.5 s the service slept
    with session_scope(own_database) as session:
        assert session.scalars(select(ChatHistory.content).where(ChatHistory.user_id == user.id)).all() == ["done"]


async def test_errors_come_back_and_nothing_is_committed(own_database):
    with session_scope(own_database) as session:
        user = make_user(session)
    run = ServiceRunner(own_database, write=True, processes=WorkProcesses(own_database))
    with pytest.raises(InvalidInputError, match=user.email):
        await run(refuse, user=Caller(user.id), user_arg="user")


@pytest.mark.parametrize("change", ["deactivated", "token_version"])
async def test_the_caller_is_checked_in_the_unit_that_would_do_the_work(own_database, change):
    """A log-in whose account was deactivated, or whose password or role changed since, is
    refused by the very unit of work that would have written: nothing is written."""
    with session_scope(own_database) as session:
        user = make_user(session)
        claims = AccessClaims(user_id=user.id, token_version=user.token_version)
        account = session.get(User, user.id)
        if change == "deactivated":
            account.is_active = False
        else:
            account.token_version += 1
    run = ServiceRunner(own_database, write=True, processes=WorkProcesses(own_database))
    run.caller = Caller(user.id, claims)  # what the auth dependency records for the request
    with pytest.raises(AuthenticationError):
        await run(slow_note, user=run.caller, user_arg="user", seconds=0, text="written?")
    with pytest.raises(AuthenticationError):  # a use case that takes no user is refused too
        await run(lambda session: session.add(ChatHistory(user_id=user.id, role="user", content="x", sources=[])))
    with session_scope(own_database) as session:
        assert session.scalars(select(ChatHistory).where(ChatHistory.user_id == user.id)).all() == []


def thread_of_the_work(session, *, owner) -> int:
    return threading.get_ident()


@bounded_read
def thread_of_a_bounded_read(session, *, owner) -> int:
    return threading.get_ident()


async def test_a_bounded_read_runs_on_the_loop_and_the_rest_runs_in_a_worker_thread(
    own_database_on_each: Settings,
):
    settings = own_database_on_each
    with session_scope(settings) as session:
        user = make_user(session)
    caller, loop_thread = Caller(user.id), threading.get_ident()
    try:
        bounded = await ServiceRunner(settings, write=False, processes=WorkProcesses(settings))(
            thread_of_a_bounded_read, user=caller
        )
        unmarked = await ServiceRunner(settings, write=False, processes=WorkProcesses(settings))(
            thread_of_the_work, user=caller
        )
        as_write = await ServiceRunner(settings, write=True, processes=WorkProcesses(settings))(
            thread_of_a_bounded_read, user=caller
        )
    finally:
        await close_loop_pool()

    assert bounded == loop_thread
    assert loop_thread not in (unmarked, as_write)


async def test_a_cached_summary_is_answered_on_the_loop_and_a_stale_one_computed_in_a_thread(
    own_database_on_each: Settings, monkeypatch
):
    settings = own_database_on_each
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=["AAPL"])
        user = make_user(session)
        buy = TransactionCreate(date=dt.date(2016, 3, 1), ticker="AAPL", type="buy", quantity=10, price=50.0)
        record_transaction(session, owner=user, data=buy)
    computed_in, looked_up_in = [], []
    real_summary, real_get = analytics._summary, AnalyticsCache.get

    def summary(*args):
        computed_in.append(threading.get_ident())
        return real_summary(*args)

    def get(self, key, model):
        looked_up_in.append(threading.get_ident())
        return real_get(self, key, model)

    monkeypatch.setattr(analytics, "_summary", summary)
    monkeypatch.setattr(AnalyticsCache, "get", get)
    cache = AnalyticsCache(MemoryStore(), prefix=f"test:{uuid.uuid4().hex}", ttl=60)
    caller, loop_thread = Caller(user.id), threading.get_ident()

    async def summarize():
        runner = ServiceRunner(settings, write=False, processes=WorkProcesses(settings))
        return await runner(analytics.summarize_portfolio, user=caller, cache=cache)

    try:
        first = await summarize()
        assert len(computed_in) == 1 and computed_in[0] != loop_thread
        assert await summarize() == first
        assert len(computed_in) == 1 and looked_up_in[-1] == loop_thread  # answered from the cache, on the loop

        with session_scope(settings) as session:
            record_transaction(session, owner=session.get(User, user.id), data=buy)
        after_write = await summarize()
    finally:
        await close_loop_pool()
    assert len(computed_in) == 2 and computed_in[1] != loop_thread
    assert [h.quantity for h in after_write.holdings] == [20]
