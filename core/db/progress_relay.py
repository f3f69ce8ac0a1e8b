"""Progress of calls in work processes, relayed to the process that asked (core.db.work_processes).

A long call (a projection, an import run as a task) reports `progress(done, total[, message])`
as it goes. In a work process that callback is a `RelayedProgress`: it sends the report down
one pipe shared by the pool's processes, and a thread of the asking process hands it to the
caller's own callback, in the order it was sent. After the call, the child sends its last word,
so the caller knows every report has arrived before it records the outcome.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from multiprocessing.context import BaseContext
from typing import Any

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how soon the reading thread notices the relay closed
LAST_WORD_SECONDS = 5.0  # how long a finished call waits for its reports still in the pipe

# In a work process: where its calls' reports go (set by `start_sending`).
_sending: Any = None
_sending_lock: Any = None


def start_sending(sending: Any, sending_lock: Any) -> None:
    """A work process's part, at its start: its end of the pipe, and the lock its writers share."""
    global _sending, _sending_lock
    _sending, _sending_lock = sending, sending_lock


def _send(report: tuple[int, int | None, int | None, str | None]) -> None:
    with _sending_lock:
        _sending.send(report)


@dataclass(frozen=True)
class RelayedProgress:
    """The `progress(done, total[, message])` a call in a work process reports to."""

    key: int

    def __call__(self, done: int, total: int, message: str | None = None) -> None:
        _send((self.key, int(done), int(total), message))


def relayed_call(key: int, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """In a work process: `function(*args, progress=…, **kwargs)`, then the call's last word."""
    try:
        return function(*args, progress=RelayedProgress(key), **kwargs)
    finally:
        _send((key, None, None, None))


@dataclass
class _Listener:
    progress: Callable[..., None]
    finished: threading.Event = field(default_factory=threading.Event)


class ProgressRelay:
    """The asking process's end: one pipe from a pool's processes, read by one thread."""

    def __init__(self, context: BaseContext) -> None:
        self._receiving, self.sending = context.Pipe(duplex=False)
        self.sending_lock = context.Lock()
        self._listeners: dict[int, _Listener] = {}
        self._keys = count(1)
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, name="work-progress", daemon=True)
        self._reader.start()

    def listen(self, progress: Callable[..., None]) -> int:
        """A key for one call's reports, each of which reaches `progress` here."""
        key = next(self._keys)
        self._listeners[key] = _Listener(progress)
        return key

    def last_word(self, key: int) -> None:
        """Wait until the call `key`'s reports have all been handed over (`forget` it after)."""
        listener = self._listeners.get(key)
        if listener is not None and not listener.finished.wait(LAST_WORD_SECONDS):
            logger.warning("a work process's last progress did not arrive in time", extra={"key": key})

    def forget(self, key: int) -> None:
        self._listeners.pop(key, None)

    def close(self) -> None:
        self._closed.set()

    def _read(self) -> None:
        while not self._closed.is_set():
            try:
                if not self._receiving.poll(POLL_SECONDS):
                    continue
                key, done, total, message = self._receiving.recv()
            except (EOFError, OSError):
                return
            listener = self._listeners.get(key)
            if listener is None:
                continue
            if done is None:
                listener.finished.set()
                continue
            try:
                listener.progress(done, total, message)
            except Exception:  # a caller's callback must not stop the relay for the others
                logger.exception("a progress callback failed", extra={"key": key})
