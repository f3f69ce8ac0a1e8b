"""Prometheus metrics: small counters and histograms any part of Stockcast may feed.

Call the `record_*` / `observe_*` functions; they are cheap and never raise. The metrics
live in one registry per process (`get_registry()`), exposed by the API at `GET /metrics`.
A scheduler or Celery worker counts in its own process: the API's `/metrics` shows only what
happened in the API process, plus the job-run gauges it reads from the database at scrape
time (`set_job_run_gauges`).

    from core import prometheus_metrics as metrics
    metrics.record_job_run("refresh_prices", status="succeeded", seconds=3.2)
    metrics.observe_training("prophet", seconds=0.6)
    metrics.record_forecast_failure("lstm", reason="InsufficientHistoryError")
    metrics.observe_forecast_error("arima", abs_pct_error=0.021)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

__all__ = [
    "CONTENT_TYPE",
    "get_registry",
    "observe_forecast_error",
    "observe_request",
    "observe_training",
    "record_forecast_failure",
    "record_job_run",
    "render_latest",
    "set_job_run_gauges",
]

# Latency buckets (seconds) for API requests and slower model work.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WORK_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
ERROR_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


@dataclass(frozen=True)
class _Metrics:
    registry: CollectorRegistry
    requests: Counter
    request_seconds: Histogram
    job_runs: Counter
    job_seconds: Histogram
    job_last_started: Gauge
    job_recorded_runs: Gauge
    training_seconds: Histogram
    forecast_failures: Counter
    forecast_abs_pct_error: Histogram


@lru_cache
def _metrics() -> _Metrics:
    """Built on first use (not at import), once per process."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return _Metrics(
        registry=registry,
        requests=Counter(
            "stockcast_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=registry
        ),
        request_seconds=Histogram(
            "stockcast_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        ),
        job_runs=Counter(
            "stockcast_job_runs", "Job runs finished in this process", ["job", "status"], registry=registry
        ),
        job_seconds=Histogram(
            "stockcast_job_duration_seconds", "Job run duration", ["job"], buckets=WORK_BUCKETS, registry=registry
        ),
        job_last_started=Gauge(
            "stockcast_job_last_started_timestamp_seconds",
            "Start time of each job's latest recorded run (from the database)",
            ["job", "status"],
            registry=registry,
        ),
        job_recorded_runs=Gauge(
            "stockcast_job_recorded_runs", "Job runs recorded in the database", ["job", "status"], registry=registry
        ),
        training_seconds=Histogram(
            "stockcast_model_training_duration_seconds",
            "Time to fit a forecaster",
            ["model"],
            buckets=WORK_BUCKETS,
            registry=registry,
        ),
        forecast_failures=Counter(
            "stockcast_forecast_failures", "Forecast requests that failed", ["model", "reason"], registry=registry
        ),
        forecast_abs_pct_error=Histogram(
            "stockcast_forecast_abs_pct_error",
            "Absolute percentage error of matured forecasts (0.02 = 2 %)",
            ["model"],
            buckets=ERROR_BUCKETS,
            registry=registry,
        ),
    )


def get_registry() -> CollectorRegistry:
    return _metrics().registry


def render_latest() -> bytes:
    """The registry in Prometheus text format (serve with `CONTENT_TYPE`)."""
    return generate_latest(get_registry())


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """One answered HTTP request; `route` is the template (`/api/users/{user_id}`), never the raw path."""
    metrics = _metrics()
    labels = (method, route, str(status))
    metrics.requests.labels(*labels).inc()
    metrics.request_seconds.labels(*labels).observe(seconds)


def record_job_run(job: str, *, status: str, seconds: float | None = None) -> None:
    metrics = _metrics()
    metrics.job_runs.labels(job, status).inc()
    if seconds is not None:
        metrics.job_seconds.labels(job).observe(seconds)


def set_job_run_gauges(rows: list[tuple[str, str, int, float]]) -> None:
    """Replace the database-derived gauges with `(job, status, count, latest_started_epoch)` rows."""
    metrics = _metrics()
    metrics.job_recorded_runs.clear()
    metrics.job_last_started.clear()
    for job, status, count, latest_started in rows:
        metrics.job_recorded_runs.labels(job, status).set(count)
        metrics.job_last_started.labels(job, status).set(latest_started)


def observe_training(model: str, *, seconds: float) -> None:
    _metrics().training_seconds.labels(model).observe(seconds)


def record_forecast_failure(model: str, *, reason: str) -> None:
    """`reason` should be an error class name, not a message (keeps label values few)."""
    _metrics().forecast_failures.labels(model, reason).inc()


def observe_forecast_error(model: str, *, abs_pct_error: float) -> None:
    _metrics().forecast_abs_pct_error.labels(model).observe(abs_pct_error)
