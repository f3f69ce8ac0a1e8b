"""`UserTasks`: the background of one API process, where users' long requests run.

`submit(session, …)` records a queued task in the caller's unit of work and hands the work
to this process's thread pool once that unit commits (so "202" means the row is committed,
and a rolled-back request starts nothing). The work gets a `TaskProgress`: calling it
`progress(done, total[, message])` only updates memory, so a worker never waits on the
database for progress (on SQLite it may itself hold the write lock: an import). One thread
per process, the beat, writes what changed at most `PROGRESS_SECONDS` apart, stamps every
live task's heartbeat each `JOB_HEARTBEAT_SECONDS`, and fails tasks of any process silent
for `JOB_LEASE_SECONDS` (the jobs' lease, core.jobs.leases): a task whose process died
shows `failed` within about a lease and a beat, never "running" forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import ShortUnits, run_unit_of_work
from core.db.tables import User
from core.db.work_processes import WorkProcesses
from core.errors import CoreError
from core.tasks.records import (
    TaskRead,
    create_task,
    fail_abandoned_tasks,
    find_abandoned_tasks,
    mark_running,
    record_failure,
    record_success,
    write_progress,
)

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # progress reaches the database at most twice a second per process
UNEXPECTED = "the task failed unexpectedly; the server log has the details"


class TaskProgress:
    """The `progress(done, total[, message])` callback a task's work reports to (thread-safe)."""

    def __init__(self, task_id: int, settings: Settings) -> None:
        self.task_id, self.settings = task_id, settings
        self.done, self.total, self.message = 0, 0, "Running"
        self.changed = True  # "running" is news
        self._guard = threading.Lock()

    def __call__(self, done: int, total: int, message: str | None = None) -> None:
        with self._guard:
            self.done, self.total = int(done), int(total)
            self.message = message or f"{self.done} of {self.total} done"
            self.changed = True

    def take(self) -> tuple[int, int, str] | None:
        """The progress not yet written, if any."""
        with self._guard:
            if not self.changed:
                return None
            self.changed = False
            return self.done, self.total, self.message

    def record_success(self, session: Session, result: BaseModel) -> None:
        """Mark the task succeeded with `result` and the progress it reached (an import records
        its own success in the unit that writes its rows: core.tasks.portfolio)."""
        record_success(session, task_id=self.task_id, result=result, done=self.done, total=self.total)


TaskWork = Callable[[TaskProgress], BaseModel]


class UserTasks:
    """Background tasks of one process: `workers` at a time, progress and outcome in the database."""

    def __init__(self, settings: Settings, *, workers: int, processes: WorkProcesses) -> None:
        self.settings = settings
        self.processes = processes  # where the work's heavy part runs (core.tasks.portfolio)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="user-task")
        self._live: dict[int, TaskProgress] = {}  # queued or running here
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def open(self) -> None:
        """Start the beat (the API's lifespan): progress, heartbeats, and the reaper."""
        if self._beat is None:
            self._beat = threading.Thread(target=self._beat_loop, name="user-task-beat", daemon=True)
            self._beat.start()

    def close(self) -> None:
        """Stop taking work. Unfinished tasks are failed by another process's reaper (or this
        one's after a restart) once their lease lapses."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, session: Session, *, owner: User, kind: str, message: str, work: TaskWork) -> TaskRead:
        """Record a queued task in `session`; `work(progress)` runs here once `session` commits.

        `work` returns the result (a pydantic model) after committing whatever it writes; a
        `CoreError` it raises is the task's error, shown to the owner with its details."""
        task = create_task(session, owner=owner, kind=kind, message=message)
        progress = TaskProgress(task.id, self.settings)

        def hand_over(_session: Session) -> None:
            with self._guard:
                self._live[progress.task_id] = progress
            self._pool.submit(self._run, progress, work)

        event.listen(session, "after_commit", hand_over, once=True)
        return TaskRead.model_validate(task)

    def _run(self, progress: TaskProgress, work: TaskWork) -> None:
        units, task_id = ShortUnits(self.settings), progress.task_id
        try:
            if not units.write(lambda session: mark_running(session, task_id=task_id)):
                return  # reaped while queued
            try:
                result, refusal = work(progress), None
            except CoreError as exc:
                result, refusal = None, exc
            if refusal is None:
                units.write(lambda session: progress.record_success(session, result))
            else:
                error, details = refusal.message, refusal.details
                units.write(lambda session: record_failure(session, task_id=task_id, error=error, details=details))
        except Exception:  # a worker thread's edge: record the failure, keep the pool alive
            logger.exception("user task failed", extra={"task_id": task_id})
            try:
                units.write(lambda session: record_failure(session, task_id=task_id, error=UNEXPECTED, details=[]))
            except Exception:
                logger.exception("could not record the task's failure; the reaper will", extra={"task_id": task_id})
        finally:
            with self._guard:
                self._live.pop(task_id, None)

    def _beat_loop(self) -> None:
        last_beat = last_reap = 0.0
        while not self._stop.wait(PROGRESS_SECONDS):
            now = time.monotonic()
            try:
                if now - last_beat >= self.settings.job_heartbeat_seconds:
                    last_beat = now
                    self._write(beat=True)
                else:
                    self._write(beat=False)
                if now - last_reap >= self.settings.job_heartbeat_seconds:
                    last_reap = now
                    self.reap()
            except Exception:  # the beat's edge: a database hiccup must not stop it
                logger.warning("user task beat failed", exc_info=True)

    def _write(self, *, beat: bool) -> None:
        with self._guard:
            live = list(self._live.values())
        progress = {p.task_id: update for p in live if (update := p.take()) is not None}
        beating = [p.task_id for p in live] if beat else []
        if not (progress or beating):
            return
        try:
            run_unit_of_work(self.settings, lambda session: write_progress(session, progress=progress, beating=beating))
        except Exception:
            for p in live:
                if p.task_id in progress:
                    p.changed = True  # written next beat
            raise

    def reap(self) -> list[int]:
        """Fail tasks (of any process) silent for longer than the lease; written only when some are."""
        stale = run_unit_of_work(
            self.settings, lambda session: find_abandoned_tasks(session, settings=self.settings), write=False
        )
        if not stale:
            return []
        return run_unit_of_work(
            self.settings, lambda session: fail_abandoned_tasks(session, settings=self.settings, task_ids=stale)
        )
