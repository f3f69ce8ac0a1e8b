"""Forecasting use cases over plain price series; errors come out as `CoreError`s.

Callers load prices (CSV or database) and own any session; nothing here touches storage.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from core.errors import InsufficientHistoryError, InvalidInputError
from core.forecasting.backtest import BacktestConfig, BacktestResult, ProgressCallback, run_backtest
from core.forecasting.calibration import fit_interval_calibration
from core.forecasting.report import model_table
from core.forecasting.scores import interval_verdicts
from core.forecasting.serving import forecast as serve
from core.forecasting.serving import load_closes
from core.forecasting.skill import SkillRequest, measure_skill
from models.catalog import create_forecaster, forecaster_factory, list_models
from models.errors import ForecastInputError, NonPositivePriceError

CONTRACT_COLUMNS = ["ticker", "model", "origin", "date", "actual", "mean", "lo80", "hi80", "lo95", "hi95"]


def _core_error(exc: ForecastInputError) -> InvalidInputError:
    if isinstance(exc, NonPositivePriceError):
        return InvalidInputError(str(exc))
    return InsufficientHistoryError(str(exc))


def check_model_names(models: Sequence[str]) -> list[str]:
    known = list_models()
    unknown = [m for m in models if m not in known]
    if unknown or not models:
        raise InvalidInputError(
            f"unknown model(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(known)}"
        )
    return list(models)


def make_forecast(
    history: pd.Series,
    *,
    model: str,
    horizon: int,
    params: Mapping[str, Any] | None = None,
    train_window: int | None = None,
) -> pd.DataFrame:
    """Fit `model` on `history` (optionally only its last `train_window` prices) and forecast
    `horizon` trading days: columns date, mean, lo80, hi80, lo95, hi95."""
    check_model_names([model])
    if horizon < 1:
        raise InvalidInputError("horizon must be at least 1 trading day")
    series = history.iloc[-train_window:] if train_window else history
    try:
        forecaster = create_forecaster(model, **dict(params or {}))
        return forecaster.fit(series).predict(horizon)
    except ForecastInputError as exc:
        raise _core_error(exc) from exc
    except TypeError as exc:  # unknown parameter names
        raise InvalidInputError(str(exc)) from exc


def backtest_models(
    histories: Mapping[str, pd.Series],
    models: Sequence[str],
    config: BacktestConfig,
    *,
    model_params: Mapping[str, Mapping[str, Any]] | None = None,
    n_jobs: int = 1,
    progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Backtest catalog models by name on every series (see `run_backtest`)."""
    check_model_names(models)
    params = model_params or {}
    factories = {name: forecaster_factory(name, **dict(params.get(name, {}))) for name in models}
    return run_backtest(histories, factories, config, n_jobs=n_jobs, progress=progress)


def _plain(value: Any) -> Any:
    """JSON-safe scalars: numpy numbers to Python, NaN/inf to None, session dates to ISO
    "YYYY-MM-DD" (the one date format of the API, MCP and the CLI's files)."""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_rows(result: BacktestResult, *, by_step: bool = False) -> list[dict[str, Any]]:
    """Summary rows (ticker, model, horizon, folds, metrics…) as plain JSON-ready dicts."""
    table = result.by_step() if by_step else result.summary()
    table.insert(2, "horizon", result.config.horizon)
    return [{key: _plain(value) for key, value in row.items()} for row in table.to_dict(orient="records")]


def pooled_rows(result: BacktestResult, models: list[str] | None = None) -> list[dict[str, Any]]:
    """The pooled table the CLI prints (`report.model_table`: one row per model over every
    ticker, naive first), with each model's interval skill and DM p against naive where known."""
    table = model_table(result, models)
    verdicts = interval_verdicts(result)
    rows = []
    for model, row in table.iterrows():
        plain = {"model": model, "horizon": result.config.horizon, **{k: _plain(v) for k, v in row.items()}}
        if model in verdicts:
            plain |= {"interval_skill": _plain(verdicts[model].skill), "interval_p": _plain(verdicts[model].p_value)}
        rows.append(plain)
    return rows


def calibration_report(result: BacktestResult, *, min_points: int = 20) -> dict[str, dict[str, Any]]:
    """Per model: its interval method, backtest coverage, and the factors applied to its
    future intervals (always 1.0: see `core.forecasting.calibration`)."""
    report = {}
    for model in result.forecasts["model"].unique():
        if (result.forecasts["model"] == model).sum() < min_points:
            continue
        calibration = fit_interval_calibration(result.forecasts, model, min_points=min_points)
        report[model] = {
            "method": calibration.method,
            "points": calibration.points,
            "coverage": {str(k): v for k, v in calibration.coverage_before.items()},
            "factors": {str(k): v for k, v in calibration.factors.items()},
        }
    return report


def forecasts_table(result: BacktestResult) -> pd.DataFrame:
    """Every fold's forecasts in the CLI contract's columns, dates as ISO strings."""
    table = result.forecasts[CONTRACT_COLUMNS].copy()
    for column in ("origin", "date"):
        table[column] = pd.to_datetime(table[column]).dt.strftime("%Y-%m-%d")
    return table


def parse_weights(text: str) -> dict[str, float]:
    """ "arima:0.6,lstm:0.4" → {"arima": 0.6, "lstm": 0.4} (InvalidInputError when malformed)."""
    weights = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition(":")
        try:
            weights[name.strip()] = float(value)
        except ValueError as exc:
            raise InvalidInputError(f"weights are name:number pairs separated by commas, not {part!r}") from exc
        if not math.isfinite(weights[name.strip()]) or weights[name.strip()] < 0:
            raise InvalidInputError(f"the weight of {name.strip()} must be a number of zero or more")
    return weights


def forecast(session, **kwargs):
    """Serve a forecast (registry champion or fresh fit) and record it in PredictionHistory.

    Delegates to `core.forecasting.serving.forecast` (keyword arguments and `ForecastResult`
    documented there); kept here so callers have one service module.
    """

    return serve(session, **kwargs)


def forecast_skill(session, *, settings, ticker: str, model: str, horizon: int, progress=None, **options):
    """The skill of a forecast request (`window`, `models`, `weights` as for `forecast`) on the
    ticker's stored closes: cached, else backtested now (see `core.forecasting.skill`)."""

    _prices, closes = load_closes(session, ticker)
    request = SkillRequest.of(ticker=ticker, model=model, horizon=horizon, **options)
    return measure_skill(session, settings=settings, request=request, closes=closes, progress=progress)
