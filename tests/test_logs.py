"""Structured logs: the decorators time and trace sync and async functions alike, request ids
reach every line, and secrets never do."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys

import pytest

from core.logs import bind_request_id, configure_logging, log_call, time_execution


@pytest.fixture
def json_logs(monkeypatch):
    """Log lines as parsed JSON, from a fresh configuration writing to a captured stream."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(level="DEBUG", json_lines=True)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    monkeypatch.undo()
    configure_logging(level="WARNING", json_lines=False)


@time_execution
def add(a: int, b: int) -> int:
    return a + b


@time_execution
async def slow_double(x: int) -> int:
    await asyncio.sleep(0.01)
    return 2 * x


@log_call
def explode() -> None:
    raise ValueError("boom")


@log_call
async def greet(name: str) -> str:
    return f"hello {name}"


def test_time_execution_on_sync_and_async(json_logs):
    assert add(2, 3) == 5
    assert asyncio.run(slow_double(4)) == 8
    timed = [line for line in json_logs() if line["event"] == "timed"]
    assert [line["function"] for line in timed] == ["add", "slow_double"]
    assert timed[1]["seconds"] >= 0.01 and all(line["ok"] for line in timed)
    assert add.__name__ == "add" and slow_double.__name__ == "slow_double"


def test_log_call_records_entry_exit_and_failures(json_logs):
    assert asyncio.run(greet("ana")) == "hello ana"
    with pytest.raises(ValueError):
        explode()
    events = [(line["event"], line["function"]) for line in json_logs() if "function" in line]
    assert events == [
        ("call started", "greet"),
        ("call finished", "greet"),
        ("call started", "explode"),
        ("call failed", "explode"),
    ]
    assert all("ana" not in json.dumps(line) for line in json_logs())  # arguments are not logged


def test_request_id_and_redaction(json_logs):
    bind_request_id("req-123")
    logging.getLogger("test").info("login", extra={"password": "hunter2", "user_id": 7})
    line = next(line for line in json_logs() if line["event"] == "login")
    assert line["request_id"] == "req-123" and line["password"] == "***" and line["user_id"] == 7
    bind_request_id(None)
