"""Scale-out: the Celery app, with Redis (`REDIS_URL`) as broker and result backend.

Start workers on as many machines as wanted, each with the same settings (.env):

    celery -A core.jobs.celery_app worker --queues stockcast --concurrency 2
    python -m core worker --concurrency 2            # the same, queue from CELERY_QUEUE

Tasks:
- `stockcast.run_job(name, args, triggered_by)`: `run_job` in the worker;
- `stockcast.retrain_ticker(ticker, models, force, triggered_by)`: one ticker's retrain; the
  retrain job fans out one of these per ticker (`fan_out_retrain`), so a failed ticker
  doesn't stop the rest and tickers spread over the workers.
Transient errors (a dependency down: `TRANSIENT_ERRORS`) are retried with exponential
backoff and jitter, up to `MAX_RETRIES` times; others fail the task at once. Every attempt is
recorded as a `JobRun` by `run_job`, whose lease fails the run within `JOB_LEASE_SECONDS` if
the worker dies mid-task.

Every Redis call has a timeout (`REDIS_TIMEOUT_SECONDS`): the broker's and the result
backend's sockets, and a dispatch that pings the broker first, so a hung Redis makes
`enqueue_job` raise ServiceUnavailableError within seconds instead of blocking its caller.

The app is built on first use (`create_celery_app`), not at import; `celery -A` finds it
through the module attribute `app`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from core.config import Settings, get_settings
from core.db.session import session_scope
from core.errors import ServiceUnavailableError
from core.jobs.redis_connection import redis_client
from core.jobs.registry import TRANSIENT_ERRORS, parse_flag, parse_tickers, stored_tickers
from core.jobs.runner import run_job

MAX_RETRIES = 5
# One quick retry at most when publishing: a dispatch answers within a few timeouts.
FAST_FAIL_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
RETRY_BACKOFF_MAX_SECONDS = 600
# How long Redis keeps a task a worker took but never acknowledged before giving it to another
# worker: longer than any task runs, or a live one runs twice. A dead worker's *run* is failed
# far sooner, by its lease; this only decides when its task is tried again.
VISIBILITY_TIMEOUT_SECONDS = 6 * 3600


def transient_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (*TRANSIENT_ERRORS, RedisConnectionError, RedisTimeoutError)


def create_celery_app(settings: Settings):
    """A Celery app for these settings, with the Stockcast tasks registered on it."""
    from celery import Celery

    if not settings.redis_url:
        raise ServiceUnavailableError("Celery needs REDIS_URL (broker and result backend); it is not set")
    app = Celery("core", broker=settings.redis_url, backend=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        # A task is acknowledged when done, and one at a time per process: a worker that dies
        # gives its task back, and a fan-out spreads evenly over the workers.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # A broker that is down or hung fails a dispatch within seconds rather than hanging the
        # caller: every socket has a connect and a read timeout.
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
            "socket_timeout": settings.redis_timeout_seconds,
            "socket_connect_timeout": settings.redis_timeout_seconds,
        },
        broker_connection_timeout=settings.redis_timeout_seconds,
        task_publish_retry_policy=FAST_FAIL_RETRY_POLICY,
        redis_socket_timeout=settings.redis_timeout_seconds,
        redis_socket_connect_timeout=settings.redis_timeout_seconds,
        result_backend_transport_options={"retry_policy": FAST_FAIL_RETRY_POLICY},
    )
    retry = {
        "autoretry_for": transient_errors(),
        "retry_backoff": True,
        "retry_backoff_max": RETRY_BACKOFF_MAX_SECONDS,
        "retry_jitter": True,
        "max_retries": MAX_RETRIES,
    }
    app.task(name="stockcast.run_job", **retry)(run_job_task)
    app.task(name="stockcast.retrain_ticker", **retry)(retrain_ticker_task)
    return app


def run_job_task(name: str, args: dict[str, Any] | None = None, triggered_by: str = "celery") -> dict:
    run = run_job(name, settings=get_settings(), args=args, triggered_by=triggered_by, raise_errors=True)
    return run.model_dump(mode="json")


def retrain_ticker_task(
    ticker: str, models: list[str] | None = None, force: bool = False, triggered_by: str = "celery"
) -> dict:
    # One backtest process: a prefork worker's processes may not start children, and the
    # fan-out already spreads the work over the workers.
    args: dict[str, Any] = {"tickers": [ticker], "force": force, "workers": 1}
    if models:
        args["models"] = models
    return run_job_task("retrain", args, triggered_by)


@lru_cache(maxsize=1)
def default_app():
    """The app for this process's settings (workers, the scheduler, the API)."""
    return create_celery_app(get_settings())


def __getattr__(name: str):
    # `celery -A core.jobs.celery_app` looks up `app`; build it then, not at import.
    if name == "app":
        return default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def app_for(settings: Settings):
    """The app talking to these settings' broker and queue (one per broker and queue)."""
    return _app_for(settings.redis_url, settings.celery_queue, settings.redis_timeout_seconds)


@lru_cache(maxsize=8)
def _app_for(redis_url: str, queue: str, timeout: float):
    return create_celery_app(Settings(redis_url=redis_url, celery_queue=queue, redis_timeout_seconds=timeout))


def fan_out_retrain(
    *,
    settings: Settings,
    tickers: list[str] | str | None = None,
    models: list[str] | str | None = None,
    force: bool = False,
    triggered_by: str = "celery",
):
    """One `retrain_ticker` task per ticker (every stored ticker by default): a `GroupResult`."""
    from celery import group  # optional: only deployments with Redis pay for it

    selected = parse_tickers(tickers)
    if selected is None:
        with session_scope(settings) as session:
            selected = stored_tickers(session)
    model_names = [m.strip() for m in models.split(",")] if isinstance(models, str) else models
    app = app_for(settings)
    task = app.tasks["stockcast.retrain_ticker"]
    signatures = [task.s(ticker, model_names, parse_flag(force), triggered_by) for ticker in selected]
    return group(signatures).apply_async(queue=settings.celery_queue)


def enqueue_job(
    name: str, *, settings: Settings, args: dict[str, Any] | None = None, triggered_by: str = "celery"
) -> str:
    """Queue job `name` on Celery and return the task (or group) id; retrain fans out.

    Raises ServiceUnavailableError when the broker cannot be reached."""
    from kombu.exceptions import OperationalError as BrokerError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    args = args or {}
    try:
        # A cheap round trip first: a hung Redis costs one timeout here, not one per retry below.
        redis_client(settings).ping()
        if name == "retrain":
            result = fan_out_retrain(settings=settings, triggered_by=triggered_by, **args)
            result.save()  # so GroupResult.restore(id) finds it later
            return result.id
        task = app_for(settings).tasks["stockcast.run_job"]
        return task.apply_async((name, args, triggered_by), queue=settings.celery_queue).id
    # The Redis result backend gives up with a RuntimeError ("Retry limit exceeded …").
    except (BrokerError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, RuntimeError) as exc:
        raise ServiceUnavailableError(
            "jobs cannot be queued: the Celery broker (Redis at REDIS_URL) is unreachable or did not answer "
            f"within {settings.redis_timeout_seconds:g} s ({type(exc).__name__}); try again when it is back"
        ) from exc
