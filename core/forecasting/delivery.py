"""Forecast first, its skill after: the faces' entry points, in short units of work.

`serve_forecast` reads the prices and the stored skill in one read unit of work, computes
the forecast with no transaction open (the registry's champion conditioned on the newest
prices, else a fresh fit: a missing champion is never trained on the spot, the retrain job
registers champions), and records it in one short write unit of work. Its `skill` is the
stored backtest of exactly its configuration when there is one, else None: the face then
draws the forecast and asks `serve_skill` (with progress) for the skill.

`serve_skill` reads the closes and the stored skill, backtests outside any transaction when
none is stored, and stores the result in a short write unit of work.

Left out, `horizon` and `model` are the champion configuration's (`core.forecasting.champion`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from core.auth.acting import run_as, run_service
from core.config import Settings
from core.db.session import run_unit_of_work
from core.forecasting.champion import champion_config
from core.forecasting.schemas import ForecastSkill
from core.forecasting.serving import ForecastResult, check_request, compute_forecast, load_closes, record_forecast
from core.forecasting.skill import SkillRequest, backtest_skill, cached_skill
from core.forecasting.skill_repository import store_skill
from core.prometheus_metrics import record_forecast_failure

Progress = Callable[..., None]


@dataclass(frozen=True)
class ServedRequest:
    """A checked request: champion defaults filled in, the champion's own member set as None."""

    ticker: str
    horizon: int
    model: str
    window: int | None
    weights: Mapping[str, float] | None
    models: list[str] | None

    @property
    def skill(self) -> SkillRequest:
        return SkillRequest.of(
            ticker=self.ticker,
            model=self.model,
            horizon=self.horizon,
            window=self.window,
            models=self.models,
            weights=self.weights,
        )


def served_request(
    settings: Settings,
    *,
    ticker: str,
    horizon: int | None = None,
    model: str | None = None,
    window: int | None = None,
    weights: Mapping[str, float] | None = None,
    models: Sequence[str] | None = None,
) -> ServedRequest:
    """The request with the champion's defaults (InvalidInputError naming what is wrong)."""
    champion = champion_config(settings)
    horizon = champion.horizon if horizon is None else horizon
    model = model or champion.model
    models = check_request(settings, horizon=horizon, model=model, window=window, weights=weights, models=models)
    return ServedRequest(ticker.strip().upper(), horizon, model, window, weights, models)


@dataclass(frozen=True)
class ForecastInputs:
    """What one read unit of work gives the computation: the prices and the stored skill."""

    prices: pd.DataFrame
    closes: pd.Series
    skill: ForecastSkill | None


def read_inputs(session: Session, *, settings: Settings, request: ServedRequest) -> ForecastInputs:
    """The ticker's prices and the stored skill of exactly `request` (None when not stored)."""
    prices, closes = load_closes(session, request.ticker)
    return ForecastInputs(
        prices, closes, cached_skill(session, settings=settings, request=request.skill, closes=closes)
    )


def compute_served(
    settings: Settings, request: ServedRequest, inputs: ForecastInputs, progress: Progress | None = None
) -> ForecastResult:
    """The forecast of `request` on `inputs`, with no database (run it outside transactions)."""
    _report(progress, 1, 3, f"Forecasting {request.ticker} {request.horizon} sessions ahead")
    try:
        result = compute_forecast(
            settings,
            ticker=request.ticker,
            horizon=request.horizon,
            model=request.model,
            window=request.window,
            weights=request.weights,
            models=request.models,
            prices=inputs.prices,
            closes=inputs.closes,
            train_missing_champion=False,
        )
    except Exception as exc:
        record_forecast_failure(request.model, reason=type(exc).__name__)
        raise
    result.skill = inputs.skill
    return result


def serve_forecast(
    settings: Settings,
    *,
    ticker: str,
    horizon: int | None = None,
    model: str | None = None,
    window: int | None = None,
    weights: Mapping[str, float] | None = None,
    models: Sequence[str] | None = None,
    user_id: int | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> ForecastResult:
    """The forecast now, with its stored skill or None (see the module docstring); recorded
    (as `user_id`, when given) to be scored once its prices arrive."""
    request = served_request(
        settings, ticker=ticker, horizon=horizon, model=model, window=window, weights=weights, models=models
    )
    _report(progress, 0, 3, f"Reading {request.ticker}'s prices")
    inputs = run_unit_of_work(
        settings, lambda session: read_inputs(session, settings=settings, request=request), write=False
    )
    result = compute_served(settings, request, inputs, progress)
    if record:
        _report(progress, 2, 3, "Recording the forecast")
        if user_id is None:
            run_service(settings, record_forecast, result=result)
        else:
            run_as(settings, user_id, record_forecast, user_arg="user", result=result)
    _report(progress, 3, 3, "Forecast ready")
    return result


def measure_served_skill(
    settings: Settings, request: ServedRequest, closes: pd.Series, progress: Progress | None = None
) -> tuple[ForecastSkill, dict]:
    """Backtest exactly `request`'s configuration on `closes`, with no database (see
    `core.forecasting.skill.backtest_skill`); store it with `store_measured_skill`."""
    return backtest_skill(settings, request=request.skill, closes=closes, progress=progress)


def store_measured_skill(session: Session, *, skill: ForecastSkill, record: dict) -> ForecastSkill:
    """Store a measured skill (a short write unit of work); returns it."""
    store_skill(session, skill=skill, config=record)
    return skill


def serve_skill(settings: Settings, *, progress: Progress | None = None, **request: Any) -> ForecastSkill:
    """The skill of exactly this request's configuration: stored, else backtested now (no
    transaction open meanwhile) and stored. `request` as for `serve_forecast`."""
    served = served_request(settings, **request)
    inputs = run_unit_of_work(
        settings, lambda session: read_inputs(session, settings=settings, request=served), write=False
    )
    if inputs.skill is not None:
        return inputs.skill
    skill, record = measure_served_skill(settings, served, inputs.closes, progress)
    return run_unit_of_work(
        settings, lambda session: store_measured_skill(session, skill=skill, record=record), write=True
    )


def _report(progress: Progress | None, done: int, total: int, text: str) -> None:
    if progress:
        progress(done, total, text)
