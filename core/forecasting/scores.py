"""Metric tables from a backtest's forecasts: overall, by horizon step, by fold, by model.

Every table has the same columns (see `METRIC_COLUMNS`). The naive reference for skill and
the Diebold–Mariano test is the origin's last price, computed from the same folds, so skill
is available whether or not the naive model was part of the run; the test runs across origin
dates (errors averaged over tickers per origin and step, since one day's storm hits every
ticker); `verdict` is `core.forecasting.significance.judge_skill`'s label. Interval scores: coverage and mean
width (price units, and as a fraction of the origin's price) at 80% and 95%; Winkler scores
and the pinball loss are divided by the fold's in-sample naive MAE like MASE, so they pool
across tickers. Winkler charges the width plus
2/α times each miss, so a narrow interval that misses loses to a wider one that holds; pinball
averages the quantile loss of the 2.5, 10, 50 (the point forecast), 90 and 97.5% quantiles
the intervals imply. Lower is better for both. `interval_verdicts` judges each model's
intervals against the naive model's on the same points (Winkler 80 + 95 per point, the same
significance rule as the point skill, tested across origin dates), when naive was in the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.forecasting import metrics
from core.forecasting.significance import SkillVerdict, judge_skill

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
    "relative_width_80",
    "relative_width_95",
    "winkler_80",
    "winkler_95",
    "pinball",
    "skill_vs_naive",
    "dm_pvalue",
    "verdict",
    "first_origin",
    "last_origin",
    "fit_seconds",
    "predict_seconds",
]


def score_forecasts(frame: pd.DataFrame, dm_horizon: int) -> dict[str, float]:
    """All metrics for one group of forecast rows (columns as in `BacktestResult.forecasts`)."""
    frame = frame.sort_values(["ticker", "fold", "step"])
    actual, mean, last, scale = (frame[c].to_numpy(dtype=float) for c in ("actual", "mean", "last_value", "scale"))
    model_mase = metrics.mae(actual / scale, mean / scale)
    naive_mase = metrics.mae(actual / scale, last / scale)
    bounds = {column: frame[column].to_numpy(dtype=float) / scale for column in ("lo80", "hi80", "lo95", "hi95")}
    quantiles = {0.025: bounds["lo95"], 0.10: bounds["lo80"], 0.5: mean / scale, 0.90: bounds["hi80"]}
    quantiles[0.975] = bounds["hi95"]
    skill = metrics.skill_vs_naive(model_mase, naive_mase) if naive_mase > 0 else np.nan
    folds = int(frame[["ticker", "fold"]].drop_duplicates().shape[0])
    verdict = judge_across_dates(
        np.abs(actual - mean) / scale,
        np.abs(actual - last) / scale,
        origin=frame["origin"],
        step=frame["step"],
        horizon=dm_horizon,
        skill=skill,
        n_folds=folds,
    )
    return {
        "folds": folds,
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
        "relative_width_80": metrics.mean_interval_width(frame["lo80"] / last, frame["hi80"] / last),
        "relative_width_95": metrics.mean_interval_width(frame["lo95"] / last, frame["hi95"] / last),
        "winkler_80": metrics.winkler_score(actual / scale, bounds["lo80"], bounds["hi80"], alpha=0.20),
        "winkler_95": metrics.winkler_score(actual / scale, bounds["lo95"], bounds["hi95"], alpha=0.05),
        "pinball": float(np.mean([metrics.pinball_loss(actual / scale, f, q) for q, f in quantiles.items()])),
        "skill_vs_naive": skill,
        "dm_pvalue": np.nan if verdict.p_value is None else verdict.p_value,
        "verdict": verdict.label,
        "first_origin": frame["origin"].min(),
        "last_origin": frame["origin"].max(),
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


def judge_across_dates(mine, theirs, *, origin, step, horizon: int, skill, n_folds: int) -> SkillVerdict:
    """`judge_skill` on per-point losses (≥ 0) averaged over tickers per origin date and step:
    tickers forecast on the same day share its storm, so they are not independent evidence."""
    losses = pd.DataFrame({"mine": np.asarray(mine), "theirs": np.asarray(theirs), "origin": origin, "step": step})
    by_date = losses.groupby(["origin", "step"]).mean().sort_index()
    return judge_skill(
        by_date["mine"].to_numpy(), by_date["theirs"].to_numpy(), horizon=horizon, skill=skill, n_folds=n_folds
    )


def interval_losses(frame: pd.DataFrame) -> pd.Series:
    """Per point (ticker, origin, step): Winkler 80 + Winkler 95, scaled by the in-sample naive MAE."""
    scale, actual = frame["scale"].to_numpy(dtype=float), frame["actual"].to_numpy(dtype=float)
    loss = sum(
        metrics.winkler_scores(actual, frame[f"lo{level}"], frame[f"hi{level}"], alpha=alpha) / scale
        for level, alpha in ((80, 0.20), (95, 0.05))
    )
    return pd.Series(loss, index=pd.MultiIndex.from_frame(frame[["ticker", "origin", "step"]]))


def interval_verdicts(result: BacktestResult, reference: str = "naive") -> dict[str, SkillVerdict]:
    """Each model's interval skill against `reference` on the points both forecast:
    1 − Winkler_model / Winkler_reference (80 + 95), with a Diebold–Mariano p-value across
    origin dates (`judge_across_dates`)."""
    forecasts = result.forecasts
    if forecasts.empty or reference not in set(forecasts["model"]):
        return {}
    base = interval_losses(forecasts[forecasts["model"] == reference])
    verdicts = {}
    for model, group in forecasts[forecasts["model"] != reference].groupby("model"):
        mine = interval_losses(group)
        common = mine.index.intersection(base.index)
        mine, theirs = mine.loc[common], base.loc[common]
        verdicts[model] = judge_across_dates(
            mine.to_numpy(),
            theirs.to_numpy(),
            origin=common.get_level_values("origin"),
            step=common.get_level_values("step"),
            horizon=result.config.horizon,
            skill=1 - float(mine.mean()) / float(theirs.mean()) if len(common) else None,
            n_folds=int(common.droplevel("step").nunique()),
        )
    return verdicts
