"""Train → backtest → log → register → maybe promote: what `python -m core train` does.

The challenger is backtested on the latest folds. The champion's score on the SAME folds is
taken from its version tags when it was scored on exactly these folds (same prices, same
fold plan), equals the challenger's when both have the same parameters (forecasters are
deterministic, refitted per fold), and is otherwise measured by backtesting the champion's
parameters in the same backtest. `decide_promotion` then moves the alias, or not.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from core.config import Settings
from core.errors import InvalidInputError
from core.forecasting.backtest import BacktestConfig, BacktestResult, ProgressCallback, run_backtest
from core.forecasting.calibration import fit_interval_calibration
from core.logs import time_execution
from core.prometheus_metrics import observe_training
from core.tracking import registry
from core.tracking.logged_model import log_forecaster_in_run
from core.tracking.runs import (
    backtest_metrics,
    data_fingerprint,
    folds_key,
    log_backtest,
    log_metrics,
    log_params,
    readable_run_name,
    tracked_run,
)
from core.tracking.schemas import TrainingOutcome
from core.tracking.store import TRAINING, get_client, run_url, store_errors
from models.catalog import create_forecaster, forecaster_factory
from models.errors import ForecastInputError

logger = logging.getLogger(__name__)

_CHAMPION_KEY = "champion"
_PARALLEL_MIN_COST = 2.0  # in `relative_cost` units (~ one ARIMA fit); spawning a pool costs ~3 s


def _workers(settings: Settings, factories: Mapping[str, Any], folds: int) -> int:
    """Backtest processes: one per core, unless the whole backtest costs less than starting them."""
    cost = sum(factory().relative_cost for factory in factories.values()) * folds
    if cost < _PARALLEL_MIN_COST:
        return 1
    return settings.backtest_workers or os.cpu_count() or 1


def _mase(result: BacktestResult, model: str) -> float | None:
    summary = result.summary()
    row = summary[summary["model"] == model]
    return None if row.empty else float(row["mase"].iloc[0])


def _calibration(result: BacktestResult, model: str):
    try:
        return fit_interval_calibration(result.forecasts, model)
    except InvalidInputError as exc:
        logger.info("no interval calibration for %s: %s", model, exc.message)
        return None


@time_execution
def train_model(
    settings: Settings,
    *,
    ticker: str,
    model: str,
    series: pd.Series,
    params: Mapping[str, Any] | None = None,
    horizon: int = 5,
    folds: int = 8,
    n_jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> TrainingOutcome:
    """Backtest, fit on all of `series` (closes), log both runs, register, maybe promote."""
    params = dict(params or {})
    try:
        # JSON round trip: the form in which a champion's params come back from its tags.
        full_params = json.loads(json.dumps(create_forecaster(model, **params).params, sort_keys=True, default=str))
    except (ForecastInputError, TypeError) as exc:
        raise InvalidInputError(str(exc)) from exc
    name = registry.registered_name(ticker, model)
    current = registry.champion_version(settings, name)  # fails fast when MLflow is down
    config = BacktestConfig(horizon=horizon, folds=folds)
    fingerprint = data_fingerprint(series)
    key = folds_key(fingerprint, config)
    factories = {model: forecaster_factory(model, **params)}
    champion_params = json.loads(current.tags.get("params", "null")) if current else None
    backtested = current is not None and current.tags.get("backtest_mase") not in (None, "", "None")
    rescore = backtested and current.tags.get("folds_key") != key and champion_params != full_params
    if rescore and champion_params is not None:
        factories[_CHAMPION_KEY] = forecaster_factory(model, **champion_params)

    started = time.perf_counter()
    workers = n_jobs or _workers(settings, factories, folds)
    result = run_backtest({ticker: series}, factories, config, n_jobs=workers, progress=progress)
    backtest_seconds = time.perf_counter() - started
    challenger_mase = _mase(result, model)
    champion_mase = _champion_mase(current, key, champion_params, full_params, challenger_mase, result)
    calibration = _calibration(result, model)

    started = time.perf_counter()
    forecaster = create_forecaster(model, **params).fit(series)
    fit_seconds = time.perf_counter() - started
    observe_training(model, seconds=fit_seconds)
    forecast = forecaster.predict(horizon)
    backtest_run = log_backtest(
        settings,
        ticker=ticker,
        model=model,
        params=full_params,
        series=series,
        result=result,
        forecast=forecast,
        tags={"role": "challenger", "registered_model": name},
    )
    if _CHAMPION_KEY in factories:
        log_metrics(settings, backtest_run, backtest_metrics(result, _CHAMPION_KEY, prefix="champion/"))

    promote, decision = registry.decide_promotion(challenger_mase, champion_mase, current.version if current else None)
    tags = {
        "ticker": ticker,
        "model": model,
        "purpose": "training",
        **fingerprint,
        "folds_key": key,
        "backtest_run_id": backtest_run,
        "registered_model": name,
    }
    version, run_id = _log_and_register(
        settings,
        forecaster=forecaster,
        name=name,
        horizon=horizon,
        tags=tags,
        params=full_params,
        calibration=calibration,
        metrics={
            "fit_seconds": fit_seconds,
            "backtest_seconds": backtest_seconds,
            "backtest_mase": challenger_mase,
            "champion_mase": champion_mase,
        },
        decision_tags={
            "decision": decision,
            "backtest_mase": challenger_mase,
            "challenger_mase": challenger_mase,
            "champion_mase": champion_mase,
            "previous_champion": current.version if current else None,
        },
        promote=promote,
    )
    logger.info("trained", extra={"model_name": name, "version": version, "decision": decision})
    return TrainingOutcome(
        ticker=ticker,
        model=model,
        registered_model=name,
        version=version,
        training_run_id=run_id,
        backtest_run_id=backtest_run,
        challenger_mase=challenger_mase,
        champion_mase=champion_mase,
        previous_champion=current.version if current else None,
        promoted=promote,
        decision=decision,
        fit_seconds=fit_seconds,
        backtest_seconds=backtest_seconds,
        run_url=run_url(settings, run_id, TRAINING),
    )


def _champion_mase(current, key, champion_params, full_params, challenger_mase, result) -> float | None:
    if current is None:
        return None
    stored = current.tags.get("backtest_mase")
    if stored in (None, "", "None"):
        return None  # registered by a forecast request, never backtested: the challenger replaces it
    if current.tags.get("folds_key") == key:
        return float(stored)
    if champion_params == full_params:
        return challenger_mase
    return _mase(result, _CHAMPION_KEY)


def _log_and_register(
    settings, *, forecaster, name, horizon, tags, params, calibration, metrics, decision_tags, promote
):
    run_name = readable_run_name(tags["ticker"], tags["model"], horizon, tags["data_end"], "training")
    with tracked_run(settings, TRAINING, run_name=run_name, tags=tags) as run_id:
        log_params(settings, run_id, params)
        log_metrics(settings, run_id, [(key, value, 0, None) for key, value in metrics.items()])
        info = log_forecaster_in_run(settings, run_id, forecaster, calibration=calibration)
        version_tags = {
            key: tags[key]
            for key in (
                "ticker",
                "model",
                "data_start",
                "data_end",
                "data_hash",
                "n_prices",
                "folds_key",
                "backtest_run_id",
            )
            if key in tags
        }
        version_tags["params"] = json.dumps(params, sort_keys=True, default=str)
        version = registry.register_version(
            settings, name=name, model_uri=info.model_uri, run_id=run_id, tags=version_tags
        )
        registry.record_decision(
            settings, name=name, version=version, promote=promote, tags={**decision_tags, "promoted": promote}
        )
        with store_errors(settings, "tagging the training run"):
            client = get_client(settings)
            for tag, value in {**decision_tags, "version": version, "promoted": promote}.items():
                client.set_tag(run_id, tag, "" if value is None else str(value))
    return version, run_id
