"""The skill of exactly the forecast shown: a backtest of the same configuration.

A forecast is made by one model configuration — the model, the ensemble's member set and
weights, the training window — for one horizon. `measure_skill` backtests exactly that
configuration at exactly that horizon on the ticker's stored closes: `settings.skill_folds`
rolling origins spread over at least `settings.skill_span` sessions (fewer, closer origins
when the history is too short; the result says how many and their date span), each fold
trained on the same window (a sliding window of `window` prices, else everything up to its
origin). Skill against naive (1 − MASE / naive's MASE on the same folds) is judged by
`core.forecasting.significance.judge_skill`: "beats naive" only when the Diebold–Mariano
p-value is below 0.05.

Results are cached in the `forecast_skill` table under a key of the configuration, the fold
plan and a hash of the closes (so new prices mean a new backtest), and each new backtest is
logged to MLflow's `backtests` experiment when the store is reachable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import InsufficientHistoryError, InvalidInputError, ServiceUnavailableError
from core.forecasting.backtest import BacktestConfig, BacktestResult, quarterly_refit, run_backtest, spread_step
from core.forecasting.schemas import ForecastSkill
from core.forecasting.scores import interval_verdicts
from core.forecasting.significance import judge_skill
from core.forecasting.skill_repository import find_skill, store_skill
from core.formatting import plain_percent
from core.tracking.runs import log_backtest
from core.tracking.store import BACKTESTS, run_url
from models.catalog import forecaster_factory, get_forecaster_class
from models.walk_forward import refit_groups

logger = logging.getLogger(__name__)

SkillProgress = Callable[[int, int, str], None]
# In `relative_cost` units (about seconds of fitting): starting worker processes that import
# torch and prophet costs several seconds each, more than a few fits save.
_PARALLEL_MIN_COST = 40.0


@dataclass(frozen=True)
class SkillRequest:
    """One exact forecast configuration. `members` and `weights` apply to the ensemble."""

    ticker: str
    model: str
    horizon: int
    window: int | None = None
    members: tuple[str, ...] | None = None
    weights: tuple[tuple[str, float], ...] | None = None

    @classmethod
    def of(cls, *, ticker, model, horizon, window=None, models=None, weights=None) -> SkillRequest:
        """Normalised: hand weights in proportion (1:1 is 0.5:0.5), members in the weights' order."""
        norm = None
        if weights:
            total = sum(float(v) for v in weights.values())
            if total <= 0:
                raise InvalidInputError("the ensemble weights must add up to more than zero")
            norm = tuple((name, round(float(v) / total, 6)) for name, v in weights.items())
        return cls(
            ticker=ticker.strip().upper(),
            model=model,
            horizon=int(horizon),
            window=int(window) if window else None,
            members=tuple(models) if models is not None else None,
            weights=norm,
        )

    def params(self) -> dict:
        """The forecaster's parameters, as `serving` builds them for this request."""
        params: dict = {}
        if self.members is not None:
            params["members"] = list(self.members)
        if self.weights is not None:
            params["weights"] = dict(self.weights)
        return params

    def describe(self) -> str:
        """E.g. "ensemble of arima, lstm (weights 50%/50%), last 504 prices"."""
        text = self.model
        if self.weights:
            shares = "/".join(plain_percent(v, 0) for _, v in self.weights)
            text += f" of {', '.join(n for n, _ in self.weights)} (hand weights {shares})"
        elif self.members:
            text += f" of {', '.join(self.members)} (default weights)"
        return text + (f", last {self.window} prices" if self.window else ", all history")


def plan_skill_backtest(
    n_prices: int, *, horizon: int, min_train: int, window: int | None, folds: int, span: int
) -> BacktestConfig:
    """`folds` origins `ceil(span / (folds - 1))` sessions apart, ending `horizon` before the
    last price; closer origins, then fewer, when the history is too short for that. Models
    are refitted about once a quarter and conditioned on the newer prices in between
    (`quarterly_refit`), as a champion is served between retrains and as the default
    backtest plan does."""
    first_train = max(min_train, window or 0)  # every fold trains on a full window
    room = (n_prices - 1 - horizon) - (first_train - 1)  # sessions the origins may spread over
    if room < 1:
        raise InsufficientHistoryError(
            f"{n_prices} prices are too few to backtest a {horizon}-session forecast trained on "
            f"{first_train} prices at two origins or more"
        )
    step = spread_step(folds, span)
    if step * (folds - 1) > room:
        step = max(1, room // max(folds - 1, 1))
    folds = min(folds, room // step + 1)
    window_kind = "sliding" if window else "expanding"
    return BacktestConfig(
        horizon=horizon,
        folds=folds,
        step=step,
        window=window_kind,
        train_size=window,
        refit=quarterly_refit(step),
    )


def skill_key(request: SkillRequest, config: BacktestConfig, closes: pd.Series) -> str:
    """Same configuration, fold plan, interval method and prices → same key (a release that
    changes how a model makes its intervals recomputes its skill)."""
    payload = closes.to_csv(header=False, float_format="%.6f").encode()
    plan = {
        "request": [request.ticker, request.model, request.horizon, request.window, request.members, request.weights],
        "intervals": get_forecaster_class(request.model).interval_method,
        "folds": [config.folds, config.origin_step, config.window, config.train_size]
        + ([] if config.refit is True else [f"refit:{config.refit}"]),
        "data": hashlib.sha256(payload).hexdigest(),
    }
    return hashlib.sha256(json.dumps(plan, default=str).encode()).hexdigest()[:40]


def _prepare(settings: Settings, request: SkillRequest, closes: pd.Series):
    factory = forecaster_factory(request.model, **request.params())
    sample = factory()
    config = plan_skill_backtest(
        len(closes),
        horizon=request.horizon,
        min_train=sample.required_history,
        window=request.window,
        folds=settings.skill_folds,
        span=settings.skill_span,
    )
    return factory, sample, config, skill_key(request, config, closes)


def cached_skill(session: Session, *, settings: Settings, request: SkillRequest, closes: pd.Series):
    """The stored skill of `request` on these closes, or None (never runs a backtest)."""
    try:
        _factory, _sample, _config, key = _prepare(settings, request, closes)
    except InsufficientHistoryError:
        return None
    return find_skill(session, key=key)


def measure_skill(
    session: Session,
    *,
    settings: Settings,
    request: SkillRequest,
    closes: pd.Series,
    progress: SkillProgress | None = None,
) -> ForecastSkill:
    """The skill of `request` on `closes`: from the cache, else backtested, logged and stored
    in this session (a caller holding no transaction uses `backtest_skill` and `store_skill`)."""
    if (found := cached_skill(session, settings=settings, request=request, closes=closes)) is not None:
        return found
    skill, record = backtest_skill(settings, request=request, closes=closes, progress=progress)
    store_skill(session, skill=skill, config=record)
    return skill


def backtest_skill(
    settings: Settings, *, request: SkillRequest, closes: pd.Series, progress: SkillProgress | None = None
) -> tuple[ForecastSkill, dict]:
    """Backtest `request` on `closes` and log it to MLflow; touches no database. Returns the
    skill and the configuration record `store_skill` keeps beside it."""
    factory, sample, config, key = _prepare(settings, request, closes)
    fits = len(refit_groups(config.folds, config.refit))  # the other origins only update
    workers = 1 if _cost(sample) * fits < _PARALLEL_MIN_COST else settings.backtest_workers
    label = f"Backtesting {request.describe()} at {config.folds} origins"

    def report(done: int, total: int) -> None:
        if progress:
            progress(done, total + 1, label)

    if progress:
        progress(0, config.folds + 1, label)
    factories = {request.model: factory}
    if request.model != "naive":  # the reference its intervals are judged by (cheap)
        factories["naive"] = forecaster_factory("naive")
    result = run_backtest(
        {request.ticker: closes},
        factories,
        config,
        n_jobs=workers or os.cpu_count() or 1,
        progress=report,
    )
    skill = _score(request, result, closes, key)
    if progress:
        progress(config.folds, config.folds + 1, "Logging the backtest to MLflow")
    run_id, run_url = _log_run(settings, request, skill, result, closes, sample.params)
    return _with_run(skill, run_id, run_url), _config_record(request, config)


def _cost(sample) -> float:
    """A fold's cost in `relative_cost` units; a combination costs about two fits per member."""
    members = getattr(sample, "member_names", None)
    if members:
        return 2 * sum(get_forecaster_class(name).relative_cost for name in members)
    return sample.relative_cost


def _score(request: SkillRequest, result: BacktestResult, closes: pd.Series, key: str) -> ForecastSkill:
    forecasts = result.forecasts[result.forecasts["model"] == request.model]
    if forecasts.empty:
        folds = result.folds[result.folds["model"] == request.model]
        errors = "; ".join(str(e) for e in folds["error"].dropna().unique()[:3])
        raise InvalidInputError(f"every backtest fold of {request.describe()} failed: {errors}")
    summary = result.summary().set_index("model").loc[request.model]
    intervals = interval_verdicts(result).get(request.model)
    forecasts = forecasts.sort_values(["fold", "step"])
    scale = forecasts["scale"].to_numpy(dtype=float)
    actual = forecasts["actual"].to_numpy(dtype=float)
    model_errors = (actual - forecasts["mean"].to_numpy(dtype=float)) / scale
    naive_errors = (actual - forecasts["last_value"].to_numpy(dtype=float)) / scale
    folds = int(summary["folds"])
    verdict = judge_skill(
        model_errors, naive_errors, horizon=request.horizon, skill=_number(summary["skill_vs_naive"]), n_folds=folds
    )
    origins = pd.to_datetime(forecasts["origin"])
    return ForecastSkill(
        ticker=request.ticker,
        model=request.model,
        description=request.describe(),
        horizon=request.horizon,
        window=request.window,
        folds=folds,
        first_origin=origins.min().date(),
        last_origin=origins.max().date(),
        data_end=closes.index[-1].date(),
        mase=_number(summary["mase"]),
        naive_mase=_number(np.mean(np.abs(naive_errors))),
        skill_vs_naive=verdict.skill,
        p_value=verdict.p_value,
        coverage_80=_number(summary["coverage_80"]),
        coverage_95=_number(summary["coverage_95"]),
        run_id=None,
        run_url=None,
        key=key,
        interval_skill=intervals.skill if intervals else None,
        interval_p_value=intervals.p_value if intervals else None,
    )


def _number(value) -> float | None:
    value = float(value) if value is not None else None
    return value if value is not None and math.isfinite(value) else None


def _with_run(skill: ForecastSkill, run_id: str | None, run_url: str | None) -> ForecastSkill:
    return skill.model_copy(update={"run_id": run_id, "run_url": run_url})


def _config_record(request: SkillRequest, config: BacktestConfig) -> dict:
    return {
        "members": list(request.members) if request.members is not None else None,
        "weights": dict(request.weights) if request.weights else None,
        "window": request.window,
        "step": config.origin_step,
        "description": request.describe(),
    }


def _log_run(settings, request, skill, result, closes, params) -> tuple[str | None, str | None]:
    """The backtest as an MLflow run named "TICKER · configuration · h<horizon> · data end · skill"."""
    name = f"{request.ticker} · {request.describe()} · h{request.horizon} · {skill.data_end.isoformat()} · skill"
    try:
        run_id = log_backtest(
            settings,
            ticker=request.ticker,
            model=request.model,
            params={**params, "window_prices": request.window},
            series=closes,
            result=result,
            tags={
                "purpose": "forecast-skill",
                "skill_key": skill.key,
                "dm_pvalue": str(skill.p_value),
                "interval_skill": str(skill.interval_skill),
                "interval_dm_pvalue": str(skill.interval_p_value),
            },
            run_name=name,
        )
        return run_id, run_url(settings, run_id, BACKTESTS)
    except ServiceUnavailableError as exc:
        logger.warning("skill backtest not logged to MLflow: %s", exc.message)
        return None, None
