"""Units of work are admitted to a process's connections in the order they arrive, and never
more of them at once than the pool holds (core.db.admission): in worker threads on both
databases, with short reads in a line of their own, and on the event loop on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.admission import SHORT_READS_AT_ONCE, run_in_thread
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
    at_once = pool_capacity(settings.database_url) - SHORT_READS_AT_ONCE
    seen = Admissions()
    unit = lambda n: run_in_thread(settings, seen.unit(n, "SELECT 1", hold=0.05), write=False)  # noqa: E731

    await ask_in_order(4 * at_once, unit)

    assert seen.most_inside == at_once  # the connections not kept for short reads, never more
    assert_in_order(seen.began, 4 * at_once, at_once)


def assert_in_order(began: list[int], count: int, at_once: int) -> None:
    """Admitted in order; the threads of units admitted together may begin a moment apart, but
    none overtakes a unit asked for a whole line's worth of units earlier."""
    assert sorted(began) == list(range(count))
    assert all(began.index(n) < began.index(n + at_once) for n in range(count - at_once))


async def test_short_reads_have_a_line_of_their_own(settings: Settings):
    others = pool_capacity(settings.database_url) - SHORT_READS_AT_ONCE
    long_units, short_reads = Admissions(), Admissions()
    long_unit = lambda n: run_in_thread(settings, long_units.unit(n, "SELECT 1", hold=1.0), write=False)  # noqa: E731
    short_read = lambda n: run_in_thread(  # noqa: E731
        settings, short_reads.unit(n, "SELECT 1", hold=0.01), write=False, short_read=True
    )
    long_work = asyncio.gather(*(long_unit(n) for n in range(others + 1)))  # a line full, one waiting
    await asyncio.sleep(0.1)

    await ask_in_order(4 * SHORT_READS_AT_ONCE, short_read)

    assert len(long_units.began) == others  # the short reads did not wait for the long units
    assert short_reads.most_inside == SHORT_READS_AT_ONCE
    assert_in_order(short_reads.began, 4 * SHORT_READS_AT_ONCE, SHORT_READS_AT_ONCE)
    await long_work
    assert long_units.most_inside == others


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
