"""Units of work admitted to a process's database connections in the order they arrive.

SQLAlchemy's pool hands a returned connection to whoever asks next, not to whoever has waited
longest: a newcomer takes it while the waiter it woke is still being scheduled, and that
waiter goes to the back of the line, again and again. With more requests in flight than
connections (50 connections on 2 API workers, 20 connections each), a few requests waited
1–4 s while the rest went faster. So a face admits at most as many units of work at once as
its pool holds connections, first come first served, and the pool itself never makes a unit
wait:

- `run_in_thread(settings, work, write=…)` runs a unit of work in a worker thread, admitted
  by this loop's `anyio.CapacityLimiter` (which serves its waiters in order) of
  `pool_capacity` tokens;
- core.db.loop_reads admits its reads on the loop the same way, with an `asyncio.Semaphore`
  (also in order) the size of its own pool.

Work the process runs outside them (a job, a task) still takes connections straight from the
pool; it is a few connections against the requests' many.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import anyio
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import pool_capacity
from core.db.session import run_unit_of_work

T = TypeVar("T")

# An anyio limiter belongs to the loop that first waits on it: one per loop and URL.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def _limiter(settings: Settings) -> anyio.CapacityLimiter:
    per_url = _limiters.setdefault(asyncio.get_running_loop(), {})
    limiter = per_url.get(settings.database_url)
    if limiter is None:
        limiter = per_url[settings.database_url] = anyio.CapacityLimiter(pool_capacity(settings.database_url))
    return limiter


async def run_in_thread(settings: Settings, work: Callable[[Session], T], *, write: bool) -> T:
    """`run_unit_of_work(settings, work, write=write)` in a worker thread, once admitted."""
    unit = partial(run_unit_of_work, settings, work, write=write)
    return await anyio.to_thread.run_sync(unit, limiter=_limiter(settings))
