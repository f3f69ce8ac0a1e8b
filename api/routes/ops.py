"""Operations: `GET /health` (parts of the deployment) and `GET /metrics` (Prometheus).

Both are open, like /ping, for load balancers and scrapers; keep /metrics off the public
network at the reverse proxy (docs/production.md).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from api.deps import RunDep, SettingsDep
from core import prometheus_metrics as metrics
from core.config import Settings
from core.health import (
    MLFLOW_PROBE,
    REDIS_PROBE,
    ComponentHealth,
    HealthReport,
    LatestProbe,
    check_own_database,
    summarize_health,
    summarize_job_runs,
)

router = APIRouter(tags=["ops"])


@router.get("/health", response_model=HealthReport, responses={503: {"model": HealthReport}})
async def read_health(run: RunDep, settings: SettingsDep, response: Response) -> HealthReport:
    """Database, MLflow, Redis and scheduler state; 503 when the database is down. Redis and
    MLflow are their latest background probes (at most 5 s old: core.health)."""
    database, scheduler = await run(check_own_database)
    redis, mlflow = await asyncio.gather(_latest(REDIS_PROBE, settings), _latest(MLFLOW_PROBE, settings))
    report = summarize_health({"database": database, "mlflow": mlflow, "redis": redis, "scheduler": scheduler})
    if report.status == "down":
        response.status_code = 503
    return report


async def _latest(probe: LatestProbe, settings: Settings) -> ComponentHealth:
    """The probe's latest answer at once; only a target's first probe is waited for, off the loop."""
    return probe.answered(settings) or await asyncio.to_thread(probe.latest, settings)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def read_metrics(run: RunDep) -> Response:
    """Prometheus text format: this process's counters plus job runs recorded in the database."""
    metrics.set_job_run_gauges(await run(summarize_job_runs))
    return Response(content=metrics.render_latest(), media_type=metrics.CONTENT_TYPE)
