"""Skill backtests running in the background of a long-lived process (the API).

A forecast answers at once; the backtest of its configuration runs here, one task per exact
request, reporting progress (the API hands the fitting itself to a work process:
core.db.work_processes). The caller reads the prices and stores the finished skill in
its own short units of work; a task only computes. One instance per process, created by the
face (the API's app factory), never at import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from core.forecasting.delivery import ServedRequest


@dataclass
class SkillTask:
    """One request's backtest: running with progress, or finished (`future` holds its result)."""

    status: Literal["running", "ready"] = "running"
    done: int = 0
    total: int = 0
    message: str = "Queued"
    skill: Any = None
    future: Future | None = field(default=None, repr=False)

    def report(self, *args: Any) -> None:
        done, total = (*args, 0, 0)[:2]
        self.done, self.total = int(done), int(total)
        self.message = next((a for a in args if isinstance(a, str)), self.message)


class SkillTasks:
    """Background skill backtests of one process (`workers` at a time), keyed by request."""

    def __init__(self, workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="skill")
        self._tasks: dict[Hashable, SkillTask] = {}
        self._guard = threading.Lock()

    def start(self, request: ServedRequest, compute: Callable[[Callable[..., None]], Any]) -> SkillTask:
        """The task of `request`, started with `compute(progress)` when none is running."""
        key = request_key(request)
        with self._guard:
            task = self._tasks.get(key)
            if task is None:
                task = self._tasks[key] = SkillTask()
                task.future = self._pool.submit(compute, task.report)
            return task

    def finish(self, request: ServedRequest) -> None:
        """Forget a finished task (stored, or failed and to be started again)."""
        with self._guard:
            self._tasks.pop(request_key(request), None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def request_key(served: ServedRequest) -> Hashable:
    weights = tuple(sorted(served.weights.items())) if served.weights else None
    models = tuple(served.models) if served.models is not None else None
    return (served.ticker, served.horizon, served.model, served.window, weights, models)
