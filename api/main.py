"""The FastAPI application: `uvicorn api.main:app`, or `python main.py`.

`create_app` builds the app from settings; the lifespan migrates the database (Alembic, not
create_all). Every request runs its use cases in worker threads, each in its own unit of work,
and the heavy ones (projections, file imports) in its work processes (api.deps). Routers are
listed in ROUTERS.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import make_url

from api.errors import install_error_handlers
from api.middleware import install_middleware, install_tracing
from api.routes import (
    access_tokens,
    auth,
    chat,
    forecasts,
    health,
    jobs,
    market,
    ops,
    portfolio,
    portfolio_analytics,
    tasks,
    users,
)
from core.config import Settings, get_settings
from core.db.loop_reads import close_loop_pool, open_loop_pool
from core.db.migrate import upgrade_to_head
from core.db.session import open_pool
from core.db.work_processes import WorkProcesses
from core.forecasting.skill_tasks import SkillTasks
from core.forecasting.warming import import_model_libraries
from core.logs import configure_logging
from core.tasks.runner import UserTasks
from core.telemetry import configure_sentry

logger = logging.getLogger(__name__)

# A request is matched against the routes one by one, in this order (FastAPI has no index):
# the routers read most come first. No path of one router is matched by another's.
ROUTERS = [
    health.router,
    portfolio.router,
    portfolio_analytics.router,
    market.router,
    auth.router,
    users.router,
    access_tokens.router,
    portfolio.legacy_router,
    portfolio_analytics.alerts_router,
    jobs.router,
    ops.router,
    forecasts.router,
    chat.router,
    tasks.router,
]


GIL_SWITCH_SECONDS = 0.001


def settle_for_serving() -> None:
    """Tune a serving process for many short requests beside long computations, once built.

    - Everything loaded by now (about 300,000 objects: pandas, SQLAlchemy, pydantic, the
      models) leaves the garbage collector's view (`gc.freeze`): a full collection scans what
      requests create only, instead of stopping the event loop for about 170 ms each time,
      which was most of the p99 under load (bench/api_load.py).
    - A thread holding the GIL (a model fit, a CSV parse) hands it over after 1 ms instead of
      5 ms, so the event loop answers between a long computation's steps.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    if settings.migrate_on_start:
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
    settings.resolved_jwt_secret()  # generate and keep it now, not on the first log-in
    app.state.user_tasks.open()  # progress, heartbeats, and failing the tasks of dead processes
    if app.state.serving:
        await open_loop_pool(settings)  # the threadpool's are opened in serve_app
        app.state.work_processes.open(warm=import_model_libraries)  # a projection's forecasts need them
    logger.info("api started", extra={"database": make_url(settings.database_url).get_backend_name()})
    try:
        yield
    finally:
        app.state.user_tasks.close()
        app.state.skill_tasks.shutdown()
        app.state.work_processes.close()
        await close_loop_pool()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Stockcast API",
        version="1.0.0",
        description="Portfolio analytics and forecasting. Authenticate at /api/auth/token.",
        lifespan=lifespan,
        # Tracing is the OpenTelemetry instrumentation's, when OTLP_ENDPOINT is set
        # (install_tracing); FastAPI's own would otherwise look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.serving = False  # serve_app: a process that serves opens its connections at start
    app.state.skill_tasks = SkillTasks()  # skill backtests the forecast route does not wait for
    app.state.work_processes = WorkProcesses(settings)  # use cases heavy on CPU, off this process's GIL
    app.state.user_tasks = UserTasks(  # projections, imports
        settings, workers=settings.task_workers, processes=app.state.work_processes
    )
    configure_sentry(settings)
    install_middleware(app, settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_tracing(app, settings)
    return app


def serve_app() -> FastAPI:
    """The app as `python main.py` serves it, built in each worker process with its logging.

    Without Redis each of the API_WORKERS processes counts rate limits in its own memory, so
    each enforces its share of every limit (api.security.RateLimitMiddleware).
    """
    configure_logging()
    app = create_app()
    app.state.worker_processes = app.state.settings.resolved_api_workers
    import_model_libraries()  # before serving: a first forecast would stall the event loop importing them
    app.state.serving = True
    open_pool(app.state.settings)
    settle_for_serving()
    return app


app = create_app()
