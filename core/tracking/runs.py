"""MLflow runs: one per backtest and per training, tagged, parametrised and scored.

Tags on every run: ticker, model, data_start, data_end, n_prices, data_hash (of the closes
used). Backtest runs log every metric of `core.forecasting.scores` aggregated (`mase`,
`coverage_80`, …), per fold as steps (`fold/mase` at step = fold) and per horizon step
(`horizon/mase` at step = h), plus the fold table (`folds.csv`), every fold's forecasts
(`forecasts.csv`) and a chart (`forecast.png`). A run whose block raises is marked FAILED
with the error in its `error` tag.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import pandas as pd

from core.config import Settings
from core.tracking.charts import forecast_chart
from core.tracking.store import BACKTESTS, experiment_id, get_client, run_url, store_errors, tracking_failures

logger = logging.getLogger(__name__)

_MAX_BATCH = 900  # MLflow accepts at most 1000 metrics per log_batch call
_MAX_PARAM = 6000


class BacktestResult(Protocol):
    """What the adapter reads of a backtest: `core.forecasting.backtest.BacktestResult` is one.
    Declared here, not imported, because forecasting builds on tracking, not the reverse."""

    config: Any  # horizon, folds, origin_step, window, train_size, refit
    forecasts: pd.DataFrame
    folds: pd.DataFrame
    interval_methods: dict[str, str]

    def summary(self) -> pd.DataFrame: ...

    def by_step(self) -> pd.DataFrame: ...

    def by_fold(self) -> pd.DataFrame: ...


def readable_run_name(ticker: str, model: str, horizon: int | str | None, data_end: str, *extra: str) -> str:
    """A run's name as people read it in the MLflow UI: `AAPL · ensemble · h5 · 2016-12-30`."""
    parts = [ticker, model, f"h{horizon}" if horizon not in (None, "") else "", data_end, *extra]
    return " · ".join(part for part in parts if part)


def data_fingerprint(series: pd.Series) -> dict[str, str]:
    """Tags describing the exact prices a model saw (dates, count and a content hash)."""
    payload = series.to_csv(header=False, float_format="%.6f").encode()
    return {
        "data_start": str(series.index[0].date()),
        "data_end": str(series.index[-1].date()),
        "n_prices": str(len(series)),
        "data_hash": hashlib.sha256(payload).hexdigest()[:16],
    }


def folds_key(fingerprint: Mapping[str, str], config: Any) -> str:
    """Identifies a set of folds: same prices and same fold plan give the same key."""
    plan = [
        fingerprint["data_hash"],
        config.horizon,
        config.folds,
        config.origin_step,
        config.window,
        config.train_size,
    ]
    if getattr(config, "refit", True) is not True:
        plan.append(["refit", config.refit])  # fits every k origins: other forecasts (old keys kept)
    return hashlib.sha256(json.dumps(plan, default=str).encode()).hexdigest()[:16]


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Parameters as MLflow strings; nested dicts become dotted keys, lists JSON."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, prefix=f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            flat[name] = text[:_MAX_PARAM]
    return flat


@contextmanager
def tracked_run(settings: Settings, experiment: str, *, run_name: str, tags: Mapping[str, str]) -> Iterator[str]:
    """Create a run, yield its id, and end it FINISHED, or FAILED with the error as a tag."""
    client = get_client(settings)
    with store_errors(settings, f"starting a run in {experiment!r}"):
        run = client.create_run(experiment_id(settings, experiment), run_name=run_name, tags=dict(tags))
    run_id = run.info.run_id
    try:
        yield run_id
    except BaseException as exc:
        try:
            client.set_tag(run_id, "error", f"{type(exc).__name__}: {exc}"[:5000])
            client.set_terminated(run_id, "FAILED")
        except tracking_failures() as store_exc:
            logger.warning("could not mark run %s failed: %s", run_id, store_exc)
        raise
    with store_errors(settings, "ending a run"):
        client.set_terminated(run_id, "FINISHED")


def log_params(settings: Settings, run_id: str, params: Mapping[str, Any]) -> None:
    from mlflow.entities import Param

    entries = [Param(key, value) for key, value in flatten_params(params).items()]
    with store_errors(settings, "logging parameters"):
        for start in range(0, len(entries), 90):
            get_client(settings).log_batch(run_id, params=entries[start : start + 90])


def log_metrics(settings: Settings, run_id: str, rows: list[tuple[str, float, int, int | None]]) -> None:
    """Log (key, value, step, timestamp_ms or None) tuples in batches; NaN values are skipped."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = [
        Metric(key, float(value), stamp or now, int(step))
        for key, value, step, stamp in rows
        if value is not None and math.isfinite(float(value))
    ]
    with store_errors(settings, "logging metrics"):
        for start in range(0, len(metrics), _MAX_BATCH):
            get_client(settings).log_batch(run_id, metrics=metrics[start : start + _MAX_BATCH])


def _metric_columns(table: pd.DataFrame) -> list[str]:
    skip = {"ticker", "model", "fold", "step"}
    return [c for c in table.columns if c not in skip and pd.api.types.is_numeric_dtype(table[c])]


def backtest_metrics(result: BacktestResult, model: str, prefix: str = "") -> list[tuple[str, float, int, None]]:
    """Aggregated, per-fold and per-horizon-step metric rows of `model` in `result`."""
    rows: list[tuple[str, float, int, None]] = []
    summary = result.summary()
    summary = summary[summary["model"] == model]
    for column in _metric_columns(summary):
        rows += [(f"{prefix}{column}", value, 0, None) for value in summary[column]]
    for table, level in ((result.by_fold(), "fold"), (result.by_step(), "step")):
        table = table[table["model"] == model]
        name = "fold" if level == "fold" else "horizon"
        for column in _metric_columns(table):
            rows += [
                (f"{prefix}{name}/{column}", value, int(step), None)
                for step, value in zip(table[level], table[column], strict=True)
            ]
    return rows


def fold_table(result: BacktestResult, model: str) -> pd.DataFrame:
    """Per-fold metrics joined with origins, training sizes, timings and errors."""
    folds = result.folds[result.folds["model"] == model].drop(columns=["fit_seconds", "predict_seconds"])
    scores = result.by_fold()
    scores = scores[scores["model"] == model]
    return folds.merge(scores, on=["ticker", "model", "fold"], how="left")


def log_backtest(
    settings: Settings,
    *,
    ticker: str,
    model: str,
    params: Mapping[str, Any],
    series: pd.Series,
    result: BacktestResult,
    tags: Mapping[str, str] | None = None,
    forecast: pd.DataFrame | None = None,
    run_name: str | None = None,
) -> str:
    """One run in the `backtests` experiment for `model` on `ticker`; returns its run id.
    `run_name` defaults to the readable "ticker · model · horizon · data end · backtest"."""

    fingerprint = data_fingerprint(series)
    config = result.config
    all_tags = {
        "ticker": ticker,
        "model": model,
        "purpose": "backtest",
        **fingerprint,
        "folds_key": folds_key(fingerprint, config),
        "interval_method": result.interval_methods.get(model, ""),
        **(tags or {}),
    }
    name = run_name or readable_run_name(ticker, model, config.horizon, fingerprint["data_end"], "backtest")
    with tracked_run(settings, BACKTESTS, run_name=name, tags=all_tags) as run_id:
        log_params(
            settings,
            run_id,
            {
                "horizon": config.horizon,
                "folds": config.folds,
                "step": config.origin_step,
                "window": config.window,
                "train_size": config.train_size,
                **dict(params),
            },
        )
        log_metrics(settings, run_id, backtest_metrics(result, model))
        client = get_client(settings)
        forecasts = result.forecasts[result.forecasts["model"] == model]
        figure = forecast_chart(series, forecasts, forecast, title=f"{ticker} {model}: backtest folds")
        with store_errors(settings, "logging backtest artifacts"):
            client.log_text(run_id, fold_table(result, model).to_csv(index=False), "folds.csv")
            client.log_text(run_id, forecasts.to_csv(index=False), "forecasts.csv")
            client.log_figure(run_id, figure, "forecast.png")
        _close(figure)
    return run_id


def _close(figure) -> None:
    import matplotlib.pyplot as plt

    plt.close(figure)


def log_backtests(
    settings: Settings, *, ticker: str, series: pd.Series, result: BacktestResult, tags: Mapping[str, str] | None = None
) -> dict[str, str]:
    """One `backtests` run per model in `result`; returns model → link to the run's page."""

    links = {}
    for model in sorted(result.forecasts["model"].unique()):
        run_id = log_backtest(settings, ticker=ticker, model=model, params={}, series=series, result=result, tags=tags)
        links[model] = run_url(settings, run_id, BACKTESTS)
    return links
