"""The jobs area's Redis clients, and the scope that keeps two databases' keys apart.

Every client has a connect and a read timeout (`REDIS_TIMEOUT_SECONDS`): a Redis that hangs
(frozen, a half-open connection) raises `redis.exceptions.TimeoutError` instead of blocking
the caller. The cache and the locks share these clients.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from core.config import Settings


def database_scope(database_url: str) -> str:
    """A short, stable tag of a database, so locks and cache keys of two databases never meet."""
    return hashlib.blake2b(database_url.encode(), digest_size=4).hexdigest()


def redis_client(settings: Settings):
    """One client (and connection pool) per URL and timeout, per process."""
    return _client(settings.redis_url, settings.redis_timeout_seconds)


@lru_cache(maxsize=8)
def _client(redis_url: str, timeout: float):
    import redis  # optional: only deployments with Redis pay for it

    return redis.Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
