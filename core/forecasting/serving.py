"""Serving: the registry's champion when it fits the request, else a fresh fit.

`core.forecasting.service.forecast` delegates here (the contract's entry point).

A plain request (ticker, horizon, model) is served by `models:/<TICKER>-<model>@champion`,
conditioned on prices newer than it was trained on (`Forecaster.update`, parameters kept);
any horizon works. A what-if (a custom training `window`, member `models` or ensemble
`weights`) needs a fresh fit, never registered. A plain request with no champion trains and
backtests, registers and promotes the first version, then serves it. When MLflow is unreachable or its
store unwritable the forecast is still made (trained, not registered) and `notice` says so.
`skill` is the backtest of exactly this request's configuration and horizon
(`core.forecasting.skill`): measured now with `measure_skill=True`, else taken from the cache
when that backtest has run before (None otherwise).
Every forecast is recorded in PredictionHistory (`record=True`) to be scored later.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.tables import PredictionHistory, User
from core.errors import InsufficientHistoryError, InvalidInputError, ServiceUnavailableError
from core.forecasting.champion import champion_config
from core.forecasting.schemas import ForecastSkill
from core.forecasting.skill import SkillRequest, cached_skill
from core.forecasting.skill import measure_skill as measure
from core.forecasting.training import train_model
from core.market.service import get_price_history
from core.prometheus_metrics import record_forecast_failure
from core.tracking.registry import load_champion
from models.base import MemberWeight
from models.catalog import create_forecaster, get_forecaster_class
from models.errors import ForecastError, SeriesTooShortError
from models.intervals import calibrate_intervals

logger = logging.getLogger(__name__)

MAX_HORIZON = 260  # about one year of trading days
WHAT_IF_VERSION = "what-if"
UNREGISTERED_VERSION = "unregistered"


@dataclass
class ForecastResult:
    ticker: str
    model: str
    model_version: str | None
    source: Literal["champion", "trained"]
    frame: pd.DataFrame  # date, mean, lo80, hi80, lo95, hi95
    history: pd.DataFrame  # the stored prices (DatetimeIndex date; open, high, low, close, volume)
    skill: ForecastSkill | None = None  # the backtest of exactly this configuration and horizon
    notice: str | None = None
    what_if: bool = False
    interval_method: str = ""
    members: dict[str, pd.DataFrame] = field(default_factory=dict)  # ensemble members' own forecasts
    member_weights: list[MemberWeight] = field(default_factory=list)  # each member's weight, or why dropped


def load_closes(session: Session, ticker: str) -> tuple[pd.DataFrame, pd.Series]:
    """The stored prices of `ticker` and their closes (NotFoundError when none are stored)."""

    prices = get_price_history(session, ticker=ticker)
    closes = prices["close"].astype(float)
    closes.name = "close"
    return prices, closes


def forecast(
    session: Session,
    *,
    settings: Settings,
    ticker: str,
    horizon: int,
    model: str = "ensemble",
    window: int | None = None,
    weights: Mapping[str, float] | None = None,
    models: Sequence[str] | None = None,
    user: User | None = None,
    record: bool = True,
    progress: Callable[..., None] | None = None,
    measure_skill: bool = False,
) -> ForecastResult:
    """Forecast `horizon` trading days of `ticker` with `model` (see the module docstring)."""
    models = check_request(settings, horizon=horizon, model=model, window=window, weights=weights, models=models)
    ticker = ticker.strip().upper()
    try:
        return _serve(
            session,
            settings=settings,
            ticker=ticker,
            horizon=horizon,
            model=model,
            window=window,
            weights=weights,
            models=models,
            user=user,
            record=record,
            progress=progress,
            measure_skill=measure_skill,
        )
    except Exception as exc:
        record_forecast_failure(model, reason=type(exc).__name__)
        raise


def _serve(
    session, *, settings, ticker, horizon, model, window, weights, models, user, record, progress, measure_skill
):
    prices, closes = load_closes(session, ticker)
    result = compute_forecast(
        settings,
        ticker=ticker,
        horizon=horizon,
        model=model,
        window=window,
        weights=weights,
        models=models,
        prices=prices,
        closes=closes,
        progress=progress,
    )
    notes = [result.notice] if result.notice else []
    request = SkillRequest.of(
        ticker=ticker, model=model, horizon=horizon, window=window, models=models, weights=weights
    )
    result.skill = _skill(session, settings, request, closes, measure_skill, progress, notes)
    result.notice = " ".join(notes) or None
    if record:
        record_forecast(session, result, user=user)
    if progress:
        progress(2, 2)
    return result


def compute_forecast(
    settings: Settings,
    *,
    ticker: str,
    horizon: int,
    model: str,
    window: int | None,
    weights: Mapping[str, float] | None,
    models: Sequence[str] | None,
    prices: pd.DataFrame,
    closes: pd.Series,
    train_missing_champion: bool = True,
    progress: Callable[..., None] | None = None,
) -> ForecastResult:
    """The forecast itself (champion, else a fresh fit), with no database: callers read the
    prices before and record the result after, each in its own unit of work. With
    `train_missing_champion=False` a plain request with no champion is fitted fresh instead
    of backtested and registered first (the retrain job registers champions)."""
    what_if = window is not None or weights is not None or models is not None
    notes: list[str] = []
    result = None if what_if else _serve_champion(settings, ticker, model, horizon, prices, closes, notes)
    if result is None and not what_if and not notes and train_missing_champion:
        result = _train_champion(settings, ticker, model, horizon, prices, closes, notes)
    if progress:
        progress(1, 2)
    if result is None:
        result = _train(settings, ticker, model, horizon, prices, closes, window, weights, models, notes)
    result.notice = " ".join(notes) or None
    return result


def check_request(settings: Settings, *, horizon, model, window, weights, models) -> list[str] | None:
    """Refuse a bad request (InvalidInputError naming what is wrong); returns `models` as the
    request carries it (None when it is exactly the champion's member set, so the champion
    serves it and its skill is the champion configuration's)."""
    get_class = get_forecaster_class
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise InvalidInputError(f"horizon must be a whole number of trading days from 1 to {MAX_HORIZON}")
    try:
        get_class(model)
        for member in list(models or []) + list(weights or {}):
            get_class(member)
    except ForecastError as exc:
        raise InvalidInputError(str(exc)) from exc
    if (models is not None or weights is not None) and model != "ensemble":
        raise InvalidInputError("a model set and weights apply to the ensemble only")
    if window is not None and window < 2:
        raise InvalidInputError("the training window must be at least 2 prices")
    return champion_config(settings).plain_members(models) if weights is None else models


def _serve_champion(settings, ticker, model, horizon, prices, closes, notes) -> ForecastResult | None:
    try:
        champion = load_champion(settings, ticker=ticker, model=model)
    except ServiceUnavailableError as exc:
        logger.warning("mlflow unavailable, training instead: %s", exc.message)
        notes.append(f"{exc.message}. The forecast was made by a freshly trained model, not registered.")
        return None
    if champion is None:
        return None
    trained_to = pd.Timestamp(champion.data_end) if champion.data_end else closes.index[-1]
    if trained_to > closes.index[-1]:
        notes.append(
            f"The registered champion v{champion.version} was trained on prices up to "
            f"{trained_to.date()}, newer than the stored ones; a model was trained instead."
        )
        return None
    forecaster = champion.forecaster
    if closes.index[-1] > trained_to:
        # Condition on the newer prices, keeping the champion's estimated parameters.
        forecaster = copy.deepcopy(forecaster).update(closes)
    frame = calibrate_intervals(forecaster.predict(horizon), champion.calibration)
    method = champion.calibration.method if champion.calibration else type(forecaster).interval_method
    return ForecastResult(
        ticker=ticker,
        model=model,
        model_version=champion.version,
        source="champion",
        frame=frame,
        history=prices,
        interval_method=method,
        members=member_forecasts(forecaster, horizon),
        member_weights=forecaster.member_weights,
    )


def member_forecasts(forecaster, horizon: int) -> dict[str, pd.DataFrame]:
    """Each ensemble member's own forecast (recorded so that realised accuracy can compare
    the ensemble with its members); empty for other models or a member that fails."""
    frames = {}
    for name, member in forecaster.fitted_members.items():
        try:
            frames[name] = member.predict(horizon)
        except ForecastError as exc:
            logger.warning("ensemble member %s failed to predict: %s", name, exc)
    return frames


def _skill(session, settings, request, closes, measure_skill, progress, notes) -> ForecastSkill | None:
    """The request's own skill backtest: run now (cached afterwards) or looked up."""
    try:
        if measure_skill:
            return measure(session, settings=settings, request=request, closes=closes, progress=progress)
        return cached_skill(session, settings=settings, request=request, closes=closes)
    except (InsufficientHistoryError, InvalidInputError) as exc:
        notes.append(f"Its skill could not be measured: {exc.message}")
        return None


def _train(settings, ticker, model, horizon, prices, closes, window, weights, models, notes) -> ForecastResult:
    params: dict = {}
    if models is not None:
        params["members"] = list(models)
    if weights is not None:
        params["weights"] = {name: float(value) for name, value in weights.items()}
    series = closes.iloc[-window:] if window else closes
    try:
        forecaster = create_forecaster(model, **params).fit(series)
        frame = forecaster.predict(horizon)
    except SeriesTooShortError as exc:
        raise InsufficientHistoryError(str(exc)) from exc
    except ForecastError as exc:
        raise InvalidInputError(f"{model} could not forecast {ticker}: {exc}") from exc
    what_if = bool(params) or window is not None
    version = WHAT_IF_VERSION if what_if else UNREGISTERED_VERSION
    return ForecastResult(
        ticker=ticker,
        model=model,
        model_version=version,
        source="trained",
        frame=frame,
        history=prices,
        what_if=what_if,
        interval_method=type(forecaster).interval_method,
        members=member_forecasts(forecaster, horizon),
        member_weights=forecaster.member_weights,
    )


def _train_champion(settings, ticker, model, horizon, prices, closes, notes) -> ForecastResult | None:
    """No champion yet: backtest, fit, register and promote one (so the forecast comes with its
    measured skill), then serve it. None when MLflow is down or the series cannot be backtested."""

    try:
        train_model(settings, ticker=ticker, model=model, series=closes)
    except ServiceUnavailableError as exc:
        logger.warning("model not registered: %s", exc.message)
        notes.append(f"{exc.message}. The forecast was made but the model was not registered.")
        return None
    except InvalidInputError as exc:
        logger.info("no champion trained for %s-%s: %s", ticker, model, exc.message)
        return None
    return _serve_champion(settings, ticker, model, horizon, prices, closes, notes)


def record_forecast(
    session: Session, result: ForecastResult, *, user: User | None = None, replayed: bool = False
) -> int:
    """Store every step of `result` (and of its ensemble members, as their own models with
    version `ensemble:<version>`) in PredictionHistory; returns the number of rows.
    `replayed` marks forecasts made by `core.forecasting.replay`, not shown to anyone.

    A champion forecasts the same values for the same origin every time, so steps already
    recorded for it (same user, version and origin) are not stored again.
    """
    origin = result.history.index[-1].date()
    user_id = user.id if user is not None else None
    recorded_steps = (
        _recorded_steps(session, result, user_id=user_id, origin=origin) if result.source == "champion" else 0
    )
    frames = [(result.model, result.model_version, result.frame)]
    frames += [(name, f"{result.model}:{result.model_version}"[:64], frame) for name, frame in result.members.items()]
    rows = [
        PredictionHistory(
            user_id=user_id,
            ticker=result.ticker,
            model=model,
            model_version=version,
            origin_date=origin,
            target_date=pd.Timestamp(row.date).date(),
            horizon_step=step,
            predicted_value=float(row.mean),
            lo80=float(row.lo80),
            hi80=float(row.hi80),
            lo95=float(row.lo95),
            hi95=float(row.hi95),
            replayed=replayed,
        )
        for model, version, frame in frames
        for step, row in enumerate(frame.itertuples(index=False), start=1)
        if step > recorded_steps
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def _recorded_steps(session: Session, result: ForecastResult, *, user_id: int | None, origin) -> int:
    """How many horizon steps of this champion's forecast from `origin` are already stored."""
    query = select(func.max(PredictionHistory.horizon_step)).where(
        PredictionHistory.ticker == result.ticker,
        PredictionHistory.model == result.model,
        PredictionHistory.model_version == result.model_version,
        PredictionHistory.origin_date == origin,
        PredictionHistory.user_id.is_(None) if user_id is None else PredictionHistory.user_id == user_id,
    )
    return session.scalar(query) or 0
