"""A small cache for price histories and served forecasts: Redis when `REDIS_URL` is set,
else a per-process dictionary.

    cache = get_cache(settings)
    frame = cache.remember_frame("prices", ticker, {"start": s, "end": e}, lambda: load(...))
    cache.invalidate_ticker(ticker)        # after a price refresh: every entry of the ticker

Entries are keyed by namespace, ticker, a per-ticker *generation* and the request's
parameters. Invalidating a ticker bumps its generation (one INCR), so stale entries are never
read again and simply expire; nothing has to scan for keys. Frames travel as JSON (pandas
"table" orient, which keeps the index and dtypes), never pickle.

The in-process cache cannot hear about a refresh done by another process (the scheduler), so
its entries also expire after `cache_ttl_seconds`; configure Redis to share one cache.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import pandas as pd

from core.config import Settings
from core.jobs.redis_connection import database_scope, redis_client
from core.memory_store import MemoryStore


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: int) -> None: ...

    def incr(self, key: str) -> int: ...


class RedisStore:
    def __init__(self, settings: Settings) -> None:
        self._client = redis_client(settings)

    def get(self, key: str) -> bytes | None:
        return self._client.get(key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self._client.set(key, value, ex=ttl)

    def incr(self, key: str) -> int:
        return int(self._client.incr(key))

    def counter(self, key: str) -> int:
        return int(self._client.get(key) or 0)


class ForecastCache:
    """Frames and JSON values per ticker, with per-ticker invalidation."""

    def __init__(self, store: MemoryStore | RedisStore, *, prefix: str, ttl: int) -> None:
        self.store = store
        self.prefix = prefix
        self.ttl = ttl

    def _key(self, namespace: str, ticker: str, params: dict[str, Any]) -> str:
        generation = self.store.counter(f"{self.prefix}:gen:{ticker}")
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
        return f"{self.prefix}:{namespace}:{ticker}:{generation}:{digest}"

    def get_frame(self, namespace: str, ticker: str, params: dict[str, Any]) -> pd.DataFrame | None:
        raw = self.store.get(self._key(namespace, ticker, params))
        return None if raw is None else pd.read_json(io.StringIO(raw.decode()), orient="table")

    def set_frame(self, namespace: str, ticker: str, params: dict[str, Any], frame: pd.DataFrame) -> None:
        payload = frame.to_json(orient="table", date_format="iso").encode()
        self.store.set(self._key(namespace, ticker, params), payload, self.ttl)

    def remember_frame(
        self, namespace: str, ticker: str, params: dict[str, Any], compute: Callable[[], pd.DataFrame]
    ) -> pd.DataFrame:
        """The cached frame, or `compute()` stored for next time."""
        frame = self.get_frame(namespace, ticker, params)
        if frame is None:
            frame = compute()
            self.set_frame(namespace, ticker, params, frame)
        return frame

    def get_value(self, namespace: str, ticker: str, params: dict[str, Any]) -> Any | None:
        raw = self.store.get(self._key(namespace, ticker, params))
        return None if raw is None else json.loads(raw)

    def set_value(self, namespace: str, ticker: str, params: dict[str, Any], value: Any) -> None:
        self.store.set(self._key(namespace, ticker, params), json.dumps(value, default=str).encode(), self.ttl)

    def invalidate_ticker(self, ticker: str) -> None:
        self.store.incr(f"{self.prefix}:gen:{ticker}")


@lru_cache(maxsize=8)
def _memory_store(scope: str) -> MemoryStore:
    """One in-process store per database, like `engine_for`'s one engine per URL."""
    return MemoryStore()


def get_cache(settings: Settings) -> ForecastCache:
    """The cache for these settings: shared through Redis when configured, else this process's."""
    scope = database_scope(settings.database_url)
    store = RedisStore(settings) if settings.redis_url else _memory_store(scope)
    return ForecastCache(store, prefix=f"stockcast:cache:{scope}", ttl=settings.cache_ttl_seconds)


def invalidate_tickers(settings: Settings, tickers: list[str]) -> None:
    cache = get_cache(settings)
    for ticker in tickers:
        cache.invalidate_ticker(ticker)
