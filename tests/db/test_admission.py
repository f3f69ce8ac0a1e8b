"""Units of work are admitted to a process's connections in the order they arrive, and never
more of them at once than the pool holds (core.db.admission): in worker threads on both
databases, and on the event loop on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.admission import run_in_thread
from core.db.engine import pool_capacity
from core.db.loop_reads import LOOP_POOL_SIZE, close_loop_pool, read_on_loop
from tests.db.test_loop_reads import postgres  # noqa: F401  (fixture)


class Admissions:
    """Records, for units numbered in the order they were asked for, the order they began in
    and the most begun at once. A unit's connection is taken at its first statement, so a
    unit begun past the pool's size would wait there, out of line."""

    def __init__(self) -> None:
        self.began: list[int] = []
        self.inside = self.most_inside = 0
        self._guard = threading.Lock()

    def unit(self, number: int, statement: str, *, hold: float = 0.0):
        def work(session: Session) -> None:
            with self._guard:
                self.began.append(number)
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
            session.execute(text(statement))
            time.sleep(hold)  # the unit keeps its connection meanwhile
            with self._guard:
                self.inside -= 1

        return work


async def ask_in_order(count: int, run) -> None:
    """Start `run(number)` for 0…count-1, each asked for after the one before it."""
    started = []
    for number in range(count):
        started.append(asyncio.create_task(run(number)))
        await asyncio.sleep(0)  # this one asks before the next is started
    await asyncio.gather(*started)


async def test_units_in_worker_threads_begin_in_the_order_they_were_asked_for(settings: Settings):
    capacity = pool_capacity(settings.database_url)
    seen = Admissions()

    unit = lambda n: run_in_thread(settings, seen.unit(n, "SELECT 1", hold=0.05), write=False)  # noqa: E731

    await ask_in_order(4 * capacity, unit)

    assert seen.most_inside == capacity  # every connection used, and no unit begun without one
    # Admitted in order; the threads of units admitted together may begin a moment apart, but
    # none overtakes a unit asked for a whole pool's worth of units earlier.
    assert all(seen.began.index(n) < seen.began.index(n + capacity) for n in range(3 * capacity))
    assert sorted(seen.began) == list(range(4 * capacity))


async def test_reads_on_the_loop_begin_in_the_order_they_were_asked_for(postgres: Settings):  # noqa: F811
    seen = Admissions()
    # waits for the server on the loop: the other reads go on meanwhile
    read = lambda n: read_on_loop(postgres, seen.unit(n, "SELECT pg_sleep(0.005)"))  # noqa: E731

    try:
        await ask_in_order(4 * LOOP_POOL_SIZE, read)
    finally:
        await close_loop_pool()

    assert seen.most_inside == LOOP_POOL_SIZE
    assert seen.began == list(range(4 * LOOP_POOL_SIZE))
