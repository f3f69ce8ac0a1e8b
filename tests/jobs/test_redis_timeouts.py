"""Every Redis client the app makes has connect and read timeouts (REDIS_TIMEOUT_SECONDS), so a
hung Redis raises instead of blocking: jobs' cache and locks, Celery, both rate limiters."""

from __future__ import annotations

from core.config import Settings
from core.jobs.celery_app import create_celery_app
from core.jobs.redis_connection import redis_client
from mcp_server.gate import CallerGate


def test_every_redis_client_has_timeouts(redis_url):
    from api.security import make_rate_limit_storage

    settings = Settings(redis_url=redis_url, redis_timeout_seconds=1.5)
    jobs = redis_client(settings).connection_pool.connection_kwargs
    assert jobs["socket_timeout"] == jobs["socket_connect_timeout"] == 1.5

    app = create_celery_app(settings)
    assert app.conf.broker_transport_options["socket_timeout"] == 1.5
    assert app.conf.broker_transport_options["socket_connect_timeout"] == 1.5
    assert app.conf.redis_socket_timeout == app.conf.redis_socket_connect_timeout == 1.5

    gate = CallerGate(settings).limiter.storage
    assert gate.check()  # it reaches Redis (it used to fail on an option redis-py refused)
    assert gate.storage.connection_pool.connection_kwargs["socket_timeout"] == 1.5

    api_storage = make_rate_limit_storage(settings)
    assert api_storage.bridge.storage.connection_pool.connection_kwargs["socket_timeout"] == 1.5
