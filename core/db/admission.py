"""Units of work admitted to a process's database connections in the order they arrive.

SQLAlchemy's pool hands a returned connection to whoever asks next, not to whoever has waited
longest: a newcomer takes it while the waiter it woke is still being scheduled, and that
waiter goes to the back of the line, again and again. So a face admits at most as many units
of work at once as its pool holds connections, first come first served, and the pool itself
never makes a unit wait. `bench/units_of_work.py` ("the wait in line", 50 callers of one
process): the worst wait fell from 404–477 ms to 146–182 ms in PostgreSQL's threads.

`run_in_thread(settings, work, write=…, short_read=…)` runs a unit in a worker thread, admitted
by one of this loop's two `anyio.CapacityLimiter`s (each serves its waiters in order):

- short reads (a use case marked `@bounded_read`, read only, where the face cannot run it on
  its loop: core.db.loop_reads): SHORT_READS_AT_ONCE at a time. On SQLite they wait on
  little but the GIL, so more threads only contend for it: 50 callers of the holdings page
  through 2 threads cost 1.0–1.3 ms of CPU a unit, through 15 threads 1.7–1.9 ms, at a third
  less throughput and twice the p99. A line of their own also keeps them (the account check,
  `/health`) from queueing behind long units;
- every other unit (writes, which may wait for a lock, and unbounded reads): the rest of
  the pool's connections.

core.db.loop_reads admits its PostgreSQL reads on the loop the same way, with an
`asyncio.Semaphore` (also in order) the size of its own pool; its SQLite reads run one at a
time, start to end, on the loop.

Work the process runs outside them (a job, a task) still takes connections straight from the
pool; it is a few connections against the requests' many.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import anyio
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import pool_capacity
from core.db.session import run_unit_of_work

T = TypeVar("T")

SHORT_READS_AT_ONCE = 2


@dataclass(frozen=True)
class _Lines:
    short_reads: anyio.CapacityLimiter
    others: anyio.CapacityLimiter


# An anyio limiter belongs to the loop that first waits on it: one pair per loop and URL.
_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Lines]] = weakref.WeakKeyDictionary()


def _lines(settings: Settings) -> _Lines:
    per_url = _per_loop.setdefault(asyncio.get_running_loop(), {})
    lines = per_url.get(settings.database_url)
    if lines is None:
        others = pool_capacity(settings.database_url) - SHORT_READS_AT_ONCE
        lines = _Lines(anyio.CapacityLimiter(SHORT_READS_AT_ONCE), anyio.CapacityLimiter(others))
        per_url[settings.database_url] = lines
    return lines


async def run_in_thread(
    settings: Settings, work: Callable[[Session], T], *, write: bool, short_read: bool = False
) -> T:
    """`run_unit_of_work(settings, work, write=write)` in a worker thread, once admitted;
    `short_read` for a bounded read (see the module)."""
    lines = _lines(settings)
    line = lines.short_reads if short_read and not write else lines.others
    return await anyio.to_thread.run_sync(partial(run_unit_of_work, settings, work, write=write), limiter=line)
