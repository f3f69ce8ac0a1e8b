"""A per-user cache of the summary and the performance figures, keyed by versions.

An entry's key is the owner, the figure's parameters, the owner's ledger version token and
the price version token of every ticker it is valued on (core.db.tables.LedgerVersion,
PriceVersion). Every ledger write and every price or metadata write replaces a token inside
its own transaction, so a cached figure is served only while the data it was computed from
is unchanged: invalidation is exact, with no TTL to wait for and nothing to delete. Tokens
are read before the data a figure is computed from, so an entry can only be fresher than
its key, never staler.

Shared through Redis when `REDIS_URL` is set (every worker process and the dashboard see
one cache), else per process. Every Redis call has a timeout
(`analytics_cache_timeout_seconds`); a Redis that fails or hangs costs at most one timeout,
then the cache is bypassed for `REDIS_RETRY_SECONDS` and the figures are computed as if
there were no cache: it can make them faster, never wrong or unavailable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from functools import lru_cache
from typing import Protocol, TypeVar

from pydantic import BaseModel

from core.config import Settings
from core.memory_store import MemoryStore

logger = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)
MEMORY_ENTRIES = 256
REDIS_RETRY_SECONDS = 30.0


class Store(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: int) -> None: ...


class RedisStore:
    """Redis with a timeout on every call; failing open (see the module)."""

    def __init__(self, redis_url: str, timeout: float) -> None:
        import redis  # lazily: only deployments with Redis pay for it

        self._client = redis.Redis.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
        self._down_until = 0.0

    def _call(self, operation, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return None
        try:
            return operation(*args, **kwargs)
        except Exception as exc:  # any Redis or socket error: compute without the cache
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS
            logger.warning("analytics cache unavailable, bypassed", extra={"reason": type(exc).__name__})
            return None

    def get(self, key: str) -> bytes | None:
        return self._call(self._client.get, key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        self._call(self._client.set, key, value, ex=ttl)


class AnalyticsCache:
    """Figures (pydantic models) and their dependencies, by version-keyed names."""

    def __init__(self, store: Store, *, prefix: str, ttl: int) -> None:
        self.store = store
        self.prefix = prefix
        self.ttl = ttl

    @property
    def in_process(self) -> bool:
        """Whether entries are kept in this process's memory (no network call to read one)."""
        return isinstance(self.store, MemoryStore)

    def key(self, kind: str, owner_id: int, ledger: str, prices: dict[str, str | None], params: dict) -> str:
        material = json.dumps([ledger, sorted(prices.items()), params], sort_keys=True, default=str)
        return f"{self.prefix}:{kind}:{owner_id}:{hashlib.sha256(material.encode()).hexdigest()[:32]}"

    def get(self, key: str, model: type[Model]) -> Model | None:
        raw = self.store.get(key)
        return None if raw is None else model.model_validate_json(raw)

    def put(self, key: str, value: BaseModel) -> None:
        self.store.set(key, value.model_dump_json().encode(), self.ttl)

    def tickers_of(self, owner_id: int, ledger: str) -> list[str] | None:
        """The tickers a ledger version is valued on, as remembered by `remember_tickers`."""
        raw = self.store.get(f"{self.prefix}:tickers:{owner_id}:{ledger}")
        return None if raw is None else json.loads(raw)

    def remember_tickers(self, owner_id: int, ledger: str, tickers: list[str]) -> None:
        self.store.set(f"{self.prefix}:tickers:{owner_id}:{ledger}", json.dumps(sorted(tickers)).encode(), self.ttl)


@lru_cache(maxsize=8)
def _cache_for(database_url: str, redis_url: str, timeout: float, ttl: int) -> AnalyticsCache:
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]  # two databases never share entries
    store: Store = RedisStore(redis_url, timeout) if redis_url else MemoryStore(MEMORY_ENTRIES)
    return AnalyticsCache(store, prefix=f"stockcast:analytics:{digest}", ttl=ttl)


def analytics_cache(settings: Settings) -> AnalyticsCache:
    """The cache for these settings: one per database (and Redis URL) and process."""
    return _cache_for(
        settings.database_url,
        settings.redis_url,
        settings.analytics_cache_timeout_seconds,
        settings.analytics_cache_ttl_seconds,
    )
