"""`UserTasks` directly: progress reaches the task's row while the work runs (written by the
beat, not the worker), and an unexpected error fails the task without details leaking."""

from __future__ import annotations

import threading
import time

import pytest
from pydantic import BaseModel

from core.db.session import run_unit_of_work, session_scope
from core.db.tables import User
from core.db.work_processes import WorkProcesses
from core.tasks.records import TaskRead, get_task
from core.tasks.runner import UNEXPECTED, TaskProgress, UserTasks
from tests.tasks.conftest import commit_person


class Answer(BaseModel):
    value: int


def read(settings, owner_id: int, task_id: int) -> TaskRead:
    with session_scope(settings, write=False) as session:
        return get_task(session, owner=session.get(User, owner_id), task_id=task_id)


def wait_for(settings, owner_id: int, task_id: int, check, seconds: float = 30) -> TaskRead:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        task = read(settings, owner_id, task_id)
        if check(task):
            return task
        time.sleep(0.05)
    raise AssertionError(f"not reached: {task}")


def start(tasks: UserTasks, settings, owner_id: int, work) -> int:
    def submit(session):
        return tasks.submit(session, owner=session.get(User, owner_id), kind="test", message="Queued", work=work).id

    return run_unit_of_work(settings, submit)  # handed to the pool once this commits


def test_progress_is_written_while_the_work_runs(task_settings):
    owner = commit_person(task_settings)
    release = threading.Event()

    def work(progress: TaskProgress) -> Answer:
        progress(1, 4, "one of four")
        release.wait(30)
        progress(4, 4)
        return Answer(value=42)

    tasks = UserTasks(task_settings, workers=1, processes=WorkProcesses(task_settings))
    tasks.open()
    try:
        task_id = start(tasks, task_settings, owner.id, work)
        running = wait_for(task_settings, owner.id, task_id, lambda t: t.done == 1)
        assert (running.status, running.total, running.message) == ("running", 4, "one of four")
        release.set()
        done = wait_for(task_settings, owner.id, task_id, lambda t: t.status == "succeeded")
        assert (done.done, done.total, done.result, done.error) == (4, 4, {"value": 42}, None)
    finally:
        release.set()
        tasks.close()


def test_an_unexpected_error_fails_the_task_without_its_details(task_settings):
    owner = commit_person(task_settings)

    def work(progress: TaskProgress) -> Answer:
        raise RuntimeError("secret internals")

    tasks = UserTasks(task_settings, workers=1, processes=WorkProcesses(task_settings))
    tasks.open()
    try:
        task_id = start(tasks, task_settings, owner.id, work)
        failed = wait_for(task_settings, owner.id, task_id, lambda t: t.status == "failed")
        assert (failed.error, failed.error_details, failed.result) == (UNEXPECTED, [], None)
    finally:
        tasks.close()


def test_a_rolled_back_request_starts_nothing(task_settings):
    owner = commit_person(task_settings)
    ran = threading.Event()
    tasks = UserTasks(task_settings, workers=1, processes=WorkProcesses(task_settings))

    def submit_then_fail(session):
        user = session.get(User, owner.id)
        tasks.submit(session, owner=user, kind="test", message="Queued", work=lambda _p: ran.set() or Answer(value=1))
        raise ValueError("the request failed after submitting")

    with pytest.raises(ValueError):
        run_unit_of_work(task_settings, submit_then_fail)
    time.sleep(0.3)
    tasks.close()
    assert not ran.is_set()
