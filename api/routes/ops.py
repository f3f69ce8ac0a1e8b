"""Operations: `GET /health` (parts of the deployment) and `GET /metrics` (Prometheus).

Both are open, like /ping, for load balancers and scrapers; keep /metrics off the public
network at the reverse proxy (docs/production.md).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from api.deps import RunDep, SettingsDep
from core import prometheus_metrics as metrics
from core.health import (
    MLFLOW_PROBE,
    REDIS_PROBE,
    HealthReport,
    check_own_database,
    summarize_health,
    summarize_job_runs,
)

router = APIRouter(tags=["ops"])


@router.get("/health", response_model=HealthReport, responses={503: {"model": HealthReport}})
async def read_health(run: RunDep, settings: SettingsDep, response: Response) -> HealthReport:
    """Database, MLflow, Redis and scheduler state; 503 when the database is down. Redis and
    MLflow are their latest background probes (at most 5 s old: core.health)."""
    # off the event loop: a target's first probe is waited for
    redis_check = asyncio.to_thread(REDIS_PROBE.latest, settings)
    mlflow_check = asyncio.to_thread(MLFLOW_PROBE.latest, settings)
    database, scheduler = await run(check_own_database)
    redis, mlflow = await asyncio.gather(redis_check, mlflow_check)
    report = summarize_health({"database": database, "mlflow": mlflow, "redis": redis, "scheduler": scheduler})
    if report.status == "down":
        response.status_code = 503
    return report


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def read_metrics(run: RunDep) -> Response:
    """Prometheus text format: this process's counters plus job runs recorded in the database."""
    metrics.set_job_run_gauges(await run(summarize_job_runs))
    return Response(content=metrics.render_latest(), media_type=metrics.CONTENT_TYPE)
