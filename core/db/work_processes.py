"""Units of work heavy on CPU, run in processes beside the serving one.

A serving process's threads share one GIL with its event loop. A projection's simulation or
a 100,000-row import's parsing and checks, run in one of its threads, hold that GIL for
seconds in slices, and every request the process serves meanwhile waits for its slices
(`/health`'s worst in one API worker during both: 212–314 ms, against 45–87 ms with both in
its work processes; `bench/api_load.py`). `WorkProcesses.call(function,
*args, **kwargs)` runs the call in one of `settings.work_processes` child processes instead,
in the order the calls arrive. A child is spawned (it copies none of the server's threads,
loop or connections), runs its own units of work on its own connections, and has committed
them before the answer comes back, so a 2xx still means committed.

What crosses is pickled: `function` is a module-level function and its arguments plain
data (a file's bytes, not its 100,000 parsed rows, which the child parses). A CoreError
comes back as itself, details and all. A child that dies (killed, out of memory) fails the
calls it held with WorkProcessLostError (503), and the next call starts a new one. With
`WORK_PROCESSES=0`, or a database only this process can see (SQLite in memory), the same
calls run in a worker thread here.

`call_reporting(progress, function, …)` is the blocking form for a thread that may wait (a
task's): the call's `progress(done, total[, message])` reports reach `progress` here, every one
of them before it returns (core.db.progress_relay).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio
from sqlalchemy.engine import make_url

from core.config import Settings
from core.db.progress_relay import ProgressRelay, relayed_call, start_sending
from core.errors import ServiceUnavailableError
from core.logs import configure_logging

logger = logging.getLogger(__name__)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def cpu_heavy(service: F) -> F:
    """Mark `service` as heavy on CPU (see the module): a serving face runs it in a work process."""
    service.cpu_heavy = True
    return service


def is_cpu_heavy(service: Callable[..., Any]) -> bool:
    return getattr(service, "cpu_heavy", False)


class WorkProcessLostError(ServiceUnavailableError):
    """The process running a unit of work died before answering; nothing it had not
    committed was kept."""


def is_memory_database(database_url: str) -> bool:
    url = make_url(database_url)
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _start_child(sending: Any, sending_lock: Any) -> None:
    configure_logging()
    start_sending(sending, sending_lock)
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()


def _exit_with_parent() -> None:
    # A parent killed outright (kill -9, the OOM killer) never tells its pool: without this its
    # children would wait for calls forever.
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(0)


@dataclass(frozen=True)
class _Pool:
    executor: ProcessPoolExecutor
    relay: ProgressRelay  # one per pool: a child that died mid-report leaves nothing for the next

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.relay.close()


def _started_pool(processes: int) -> _Pool:
    context = multiprocessing.get_context("spawn")
    relay = ProgressRelay(context)
    executor = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=context,
        initializer=_start_child,
        initargs=(relay.sending, relay.sending_lock),
    )
    # A spawned child first runs this process's __main__ again, unless it is a module: an
    # unguarded script would run whole (a test runner's page script did). The children need
    # nothing from it, so they are started, all now, with a blank one in its place.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        for _ in range(processes):
            executor.submit(int)  # while no process is idle, each call starts one
    finally:
        sys.modules["__main__"] = main
    return _Pool(executor, relay)


class WorkProcesses:
    """This process's work processes (see the module): started on the first call or by `open`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: _Pool | None = None
        self._guard = threading.Lock()

    @property
    def in_processes(self) -> bool:
        """Whether calls run in child processes (else in a thread of this one)."""
        return self.settings.work_processes > 0 and not is_memory_database(self.settings.database_url)

    def open(self, warm: Callable[[], None] | None = None) -> None:
        """Start the processes now, and have each run `warm()` (say, import the model
        libraries) before its first call, so no request pays for a child's start."""
        if not self.in_processes:
            return
        pool = self._running_pool()
        if warm is not None:
            for _ in range(self.settings.work_processes):
                pool.executor.submit(warm)

    def close(self) -> None:
        """Stop taking calls; a call in progress finishes in its child, queued ones are cancelled."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    async def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` in a work process, once one is free (in arrival order)."""
        if not self.in_processes:
            return await anyio.to_thread.run_sync(partial(function, *args, **kwargs))
        pool = self._running_pool()
        with self._lost_if_broken(pool):
            return await asyncio.wrap_future(pool.executor.submit(function, *args, **kwargs))

    def call_reporting(
        self, progress: Callable[..., None], function: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> T:
        """`function(*args, progress=…, **kwargs)` in a work process, waiting here (a thread
        that may block); its reports reach `progress`, all of them before this returns."""
        if not self.in_processes:
            return function(*args, progress=progress, **kwargs)
        pool = self._running_pool()
        key = pool.relay.listen(progress)
        try:
            with self._lost_if_broken(pool):
                result = pool.executor.submit(relayed_call, key, function, args, kwargs).result()
            pool.relay.last_word(key)
            return result
        finally:
            pool.relay.forget(key)

    @contextmanager
    def _lost_if_broken(self, pool: _Pool) -> Iterator[None]:
        try:
            yield
        except BrokenProcessPool as exc:
            with self._guard:
                if self._pool is pool:
                    self._pool = None
            pool.close()
            logger.error("a work process died; starting a new one for the next call")
            raise WorkProcessLostError("the process doing this work stopped unexpectedly; try again") from exc

    def _running_pool(self) -> _Pool:
        with self._guard:
            if self._pool is None:
                self._pool = _started_pool(self.settings.work_processes)
            return self._pool
