"""Metric tables from a backtest's forecasts: overall, by horizon step, by fold, by model.

Every table has the same columns (see `METRIC_COLUMNS`). The naive reference for skill and
the Diebold–Mariano test is the origin's last price, computed from the same folds, so skill
is available whether or not the naive model was part of the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.forecasting import metrics

if TYPE_CHECKING:
    from core.forecasting.backtest import BacktestResult

METRIC_COLUMNS = [
    "folds",
    "points",
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "directional_accuracy",
    "coverage_80",
    "coverage_95",
    "width_80",
    "width_95",
    "winkler_80",
    "winkler_95",
    "skill_vs_naive",
    "dm_pvalue",
    "fit_seconds",
    "predict_seconds",
]


def score_forecasts(frame: pd.DataFrame, dm_horizon: int) -> dict[str, float]:
    """All metrics for one group of forecast rows (columns as in `BacktestResult.forecasts`)."""
    frame = frame.sort_values(["ticker", "fold", "step"])
    actual, mean, last, scale = (frame[c].to_numpy(dtype=float) for c in ("actual", "mean", "last_value", "scale"))
    model_mase = metrics.mae(actual / scale, mean / scale)
    naive_mase = metrics.mae(actual / scale, last / scale)
    return {
        "folds": int(frame[["ticker", "fold"]].drop_duplicates().shape[0]),
        "points": len(frame),
        "mae": metrics.mae(actual, mean),
        "rmse": metrics.rmse(actual, mean),
        "mape": metrics.mape(actual, mean),
        "smape": metrics.smape(actual, mean),
        "mase": model_mase,
        "directional_accuracy": metrics.directional_accuracy(actual, mean, last),
        "coverage_80": metrics.coverage(actual, frame["lo80"], frame["hi80"]),
        "coverage_95": metrics.coverage(actual, frame["lo95"], frame["hi95"]),
        "width_80": metrics.mean_interval_width(frame["lo80"], frame["hi80"]),
        "width_95": metrics.mean_interval_width(frame["lo95"], frame["hi95"]),
        "winkler_80": metrics.winkler_score(actual, frame["lo80"], frame["hi80"], alpha=0.20),
        "winkler_95": metrics.winkler_score(actual, frame["lo95"], frame["hi95"], alpha=0.05),
        "skill_vs_naive": metrics.skill_vs_naive(model_mase, naive_mase) if naive_mase > 0 else np.nan,
        "dm_pvalue": metrics.diebold_mariano_pvalue(
            (actual - mean) / scale, (actual - last) / scale, horizon=dm_horizon
        ),
    }


def summarise(result: BacktestResult, by: list[str]) -> pd.DataFrame:
    """Metrics per group of `by` (a subset of ticker, model, fold, step), with mean timings."""
    forecasts = result.forecasts
    if forecasts.empty:
        return pd.DataFrame(columns=[*by, *METRIC_COLUMNS])
    dm_horizon = 1 if "step" in by else result.config.horizon
    rows = []
    for keys, group in forecasts.groupby(by, sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        rows.append({**dict(zip(by, keys, strict=True)), **score_forecasts(group, dm_horizon)})
    table = pd.DataFrame(rows)
    fold_keys = [key for key in by if key != "step"]
    ok = result.folds[result.folds["error"].isna()]
    timings = ok.groupby(fold_keys)[["fit_seconds", "predict_seconds"]].mean().reset_index()
    failures = result.folds.assign(failed=result.folds["error"].notna()).groupby(fold_keys)["failed"].sum()
    table = table.merge(timings, on=fold_keys, how="left")
    table = table.merge(failures.rename("failed_folds").reset_index(), on=fold_keys, how="left")
    return table[[*by, *METRIC_COLUMNS, "failed_folds"]]
