"""The per-process key-value store the caches fall back on when no Redis is configured.

Thread-safe, entries expire after their TTL, at most `max_entries` kept (the least recently
used dropped first); counters (`incr`) never expire, as Redis's INCR keys without a TTL.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class MemoryStore:
    def __init__(self, max_entries: int = 512) -> None:
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._guard = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: str) -> bytes | None:
        with self._guard:
            item = self._items.get(key)
            if item is None or item[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            self._items.move_to_end(key)
            return item[1]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        with self._guard:
            self._items[key] = (time.monotonic() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def incr(self, key: str) -> int:
        with self._guard:
            self._counters[key] = self._counters.get(key, 0) + 1
            return self._counters[key]

    def counter(self, key: str) -> int:
        with self._guard:
            return self._counters.get(key, 0)
