"""Forecasts: the served forecast of a ticker (champion or fresh fit) and realised accuracy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, RunDep, SettingsDep
from core.forecasting.accuracy import realised_accuracy
from core.forecasting.schemas import ForecastRead, RealisedAccuracyRead
from core.forecasting.service import forecast, parse_weights

router = APIRouter(prefix="/api/forecast", tags=["forecasts"])


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
    horizon: Annotated[int, Query(ge=1, le=260)] = 5,
    model: Annotated[str, Query(max_length=32)] = "ensemble",
    window: Annotated[int | None, Query(ge=2, description="train on the last N prices (what-if)")] = None,
    models: Annotated[str | None, Query(description="ensemble members, comma-separated (what-if)")] = None,
    weights: Annotated[str | None, Query(description="ensemble weights, e.g. arima:0.6,lstm:0.4 (what-if)")] = None,
    skill: Annotated[bool, Query(description="measure this configuration's skill now if not cached")] = True,
) -> ForecastRead:
    """The forecast the app serves (the registry champion when it fits, else a fresh fit);
    recorded to be scored once the prices arrive. `notice` says when MLflow was unavailable.
    `skill` is the backtest of exactly this model set, weights, window and horizon (run on
    the first request, cached after); with `skill=false` it is returned only when cached."""
    members = [name.strip() for name in models.split(",") if name.strip()] if models else None
    hand_weights = parse_weights(weights) if weights else None
    result = await run(
        forecast,
        settings=settings,
        ticker=ticker,
        horizon=horizon,
        model=model,
        window=window,
        models=members,
        weights=hand_weights,
        user=user,
        user_arg="user",
        write=True,  # the forecast served is recorded, to be scored once its prices arrive
        measure_skill=skill,
    )
    return ForecastRead.from_result(result)
