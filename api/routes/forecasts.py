"""Forecasts: the served forecast of a ticker (champion or fresh fit), the skill of exactly its
configuration (polled while it is measured), and realised accuracy."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request, Response, status

from api.deps import CurrentUser, RunDep, SettingsDep
from core.forecasting.accuracy import realised_accuracy
from core.forecasting.delivery import (
    compute_served,
    measure_served_skill,
    read_inputs,
    served_request,
    store_measured_skill,
)
from core.forecasting.schemas import ForecastRead, RealisedAccuracyRead, SkillStatusRead
from core.forecasting.service import parse_weights
from core.forecasting.serving import record_forecast
from core.forecasting.skill_tasks import SkillTasks

router = APIRouter(prefix="/api/forecast", tags=["forecasts"])

Horizon = Annotated[int | None, Query(ge=1, le=260, description="trading days; default: the champion's (10)")]
Model = Annotated[str | None, Query(max_length=32, description="default: the champion's (ensemble)")]
Window = Annotated[int | None, Query(ge=2, description="train on the last N prices (what-if)")]
Members = Annotated[str | None, Query(description="ensemble members, comma-separated (what-if)")]
Weights = Annotated[str | None, Query(description="ensemble weights, e.g. arima:0.6,lstm:0.4 (what-if)")]


def _request(ticker, horizon, model, window, models, weights) -> dict:
    members = [name.strip() for name in models.split(",") if name.strip()] if models else None
    hand_weights = parse_weights(weights) if weights else None
    return {
        "ticker": ticker,
        "horizon": horizon,
        "model": model,
        "window": window,
        "models": members,
        "weights": hand_weights,
    }


@router.get("/accuracy", response_model=list[RealisedAccuracyRead])
async def read_accuracy(
    run: RunDep,
    user: CurrentUser,
    ticker: Annotated[str | None, Query(max_length=16)] = None,
    model: Annotated[str | None, Query(max_length=32)] = None,
    days: Annotated[int | None, Query(ge=1, le=3650)] = None,
    replayed: Annotated[bool | None, Query(description="true: replayed only; false: live only")] = None,
) -> list[RealisedAccuracyRead]:
    """Trailing realised accuracy per ticker, model and kind: the caller's own recorded
    forecasts and the shared ones (the walk-forward replay's, marked `replayed`)."""
    table = await run(
        realised_accuracy, user=user, user_arg="visible_to", ticker=ticker, model=model, days=days, replayed=replayed
    )
    return RealisedAccuracyRead.rows_from(table)


@router.get("/{ticker}", response_model=ForecastRead)
async def read_forecast(
    ticker: str,
    settings: SettingsDep,
    user: CurrentUser,
    run: RunDep,
    horizon: Horizon = None,
    model: Model = None,
    window: Window = None,
    models: Members = None,
    weights: Weights = None,
) -> ForecastRead:
    """The forecast the app serves (the registry champion when it fits, else a fresh fit),
    answered at once and recorded to be scored once the prices arrive. Left out, the
    configuration is the champion's. `skill` is the stored backtest of exactly this
    configuration when there is one; else `skill_status` is "pending": poll
    `GET /api/forecast/{ticker}/skill` with the same query for it."""
    request = served_request(settings, **_request(ticker, horizon, model, window, models, weights))
    inputs = await run(read_inputs, settings=settings, request=request, write=False)
    result = await anyio.to_thread.run_sync(partial(compute_served, settings, request, inputs))
    # recorded, to be scored once its prices arrive
    await run(record_forecast, result=result, user=user, user_arg="user", write=True)
    return ForecastRead.from_result(result)


@router.get(
    "/{ticker}/skill",
    response_model=SkillStatusRead,
    responses={status.HTTP_202_ACCEPTED: {"model": SkillStatusRead, "description": "Being measured: poll again"}},
)
async def read_skill(
    ticker: str,
    settings: SettingsDep,
    user: CurrentUser,
    run: RunDep,
    http: Request,
    response: Response,
    horizon: Horizon = None,
    model: Model = None,
    window: Window = None,
    models: Members = None,
    weights: Weights = None,
) -> SkillStatusRead:
    """The backtested skill of exactly this forecast configuration: 200 with `skill` when
    stored, else 202 with the progress of its backtest, which the first poll starts in the
    background (poll again until `status` is "ready"; its error is answered once)."""
    tasks: SkillTasks = http.app.state.skill_tasks
    request = served_request(settings, **_request(ticker, horizon, model, window, models, weights))
    inputs = await run(read_inputs, settings=settings, request=request, write=False)
    if inputs.skill is not None:
        return SkillStatusRead.ready(inputs.skill)
    task = tasks.start(  # its fits run in a work process, off the GIL this worker's requests share
        request,
        lambda progress: run.processes.call_reporting(progress, measure_served_skill, settings, request, inputs.closes),
    )
    if not task.future.done():
        response.status_code = status.HTTP_202_ACCEPTED
        return SkillStatusRead.from_task(task)
    tasks.finish(request)
    skill, record = task.future.result()  # a failed backtest raises its CoreError here, once
    stored = await run(store_measured_skill, skill=skill, record=record, write=True)
    return SkillStatusRead.ready(stored)
