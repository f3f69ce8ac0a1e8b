"""Metric tables from a backtest's forecasts: overall, by horizon step, by fold, by model.

`evaluate(forecasts, by, metrics)` is the free function every table comes from: it groups
forecast rows by `by` and applies the named metrics of the registry `METRICS` (small pure
functions over `core.forecasting.metrics`), or any `name → function(Points)` given.
`summarise` adds the folds' timings; every table has the same columns (`METRIC_COLUMNS`).

The naive reference for skill and the Diebold–Mariano test is the origin's last price,
computed from the same folds, so skill is available whether or not the naive model was part
of the run; the test runs across origin dates (errors averaged over tickers per origin and
step, since one day's storm hits every ticker); `verdict` is
`core.forecasting.significance.judge_skill`'s label. Interval scores: coverage and mean width
(price units, and as a fraction of the origin's price) at 80% and 95%; Winkler scores and the
pinball loss are divided by the fold's in-sample naive MAE like MASE, so they pool across
tickers. Winkler charges the width plus 2/α times each miss, so a narrow interval that misses
loses to a wider one that holds; pinball averages the quantile loss of the 2.5, 10, 50 (the
point forecast), 90 and 97.5% quantiles the intervals imply. Lower is better for both.
`interval_verdicts` judges each model's intervals against the naive model's on the same
points (Winkler 80 + 95 per point, the same significance rule as the point skill, tested
across origin dates), when naive was in the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from core.forecasting import metrics
from core.forecasting.significance import SkillVerdict, judge_skill

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
_PINBALL_QUANTILES = {0.025: "lo95", 0.10: "lo80", 0.5: "mean", 0.90: "hi80", 0.975: "hi95"}


@dataclass
class Points:
    """One group of forecast rows (columns as in `BacktestResult.forecasts`: ticker, fold,
    origin, step, actual, mean, lo80..hi95, last_value, scale), as the arrays metrics read.
    `horizon` is the Diebold–Mariano test's (1 when the group is one horizon step)."""

    frame: pd.DataFrame
    horizon: int

    def column(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=float)

    def scaled(self, name: str) -> np.ndarray:
        """A price column divided by the fold's MASE scale (the in-sample naive MAE)."""
        return self.column(name) / self.column("scale")

    @cached_property
    def verdict(self) -> SkillVerdict:
        actual, scale = self.column("actual"), self.column("scale")
        return judge_across_dates(
            np.abs(actual - self.column("mean")) / scale,
            np.abs(actual - self.column("last_value")) / scale,
            origin=self.frame["origin"],
            step=self.frame["step"],
            horizon=self.horizon,
            skill=skill_vs_naive(self),
            n_folds=folds(self),
        )


Metric = Callable[[Points], Any]


def folds(p: Points) -> int:
    return int(p.frame[["ticker", "fold"]].drop_duplicates().shape[0])


def mase(p: Points) -> float:
    return metrics.mae(p.scaled("actual"), p.scaled("mean"))


def naive_mase(p: Points) -> float:
    return metrics.mae(p.scaled("actual"), p.scaled("last_value"))


def skill_vs_naive(p: Points) -> float:
    reference = naive_mase(p)
    return metrics.skill_vs_naive(mase(p), reference) if reference > 0 else np.nan


def relative_width(level: int) -> Metric:
    return lambda p: metrics.mean_interval_width(
        p.column(f"lo{level}") / p.column("last_value"), p.column(f"hi{level}") / p.column("last_value")
    )


def winkler(level: int) -> Metric:
    alpha = 1 - level / 100
    return lambda p: metrics.winkler_score(p.scaled("actual"), p.scaled(f"lo{level}"), p.scaled(f"hi{level}"), alpha)


def pinball(p: Points) -> float:
    losses = [metrics.pinball_loss(p.scaled("actual"), p.scaled(col), q) for q, col in _PINBALL_QUANTILES.items()]
    return float(np.mean(losses))


# The metric registry: name → small pure function of a group of forecast rows.
METRICS: dict[str, Metric] = {
    "folds": folds,
    "points": lambda p: len(p.frame),
    "mae": lambda p: metrics.mae(p.column("actual"), p.column("mean")),
    "rmse": lambda p: metrics.rmse(p.column("actual"), p.column("mean")),
    "mape": lambda p: metrics.mape(p.column("actual"), p.column("mean")),
    "smape": lambda p: metrics.smape(p.column("actual"), p.column("mean")),
    "mase": mase,
    "directional_accuracy": lambda p: metrics.directional_accuracy(
        p.column("actual"), p.column("mean"), p.column("last_value")
    ),
    "coverage_80": lambda p: metrics.coverage(p.column("actual"), p.column("lo80"), p.column("hi80")),
    "coverage_95": lambda p: metrics.coverage(p.column("actual"), p.column("lo95"), p.column("hi95")),
    "width_80": lambda p: metrics.mean_interval_width(p.column("lo80"), p.column("hi80")),
    "width_95": lambda p: metrics.mean_interval_width(p.column("lo95"), p.column("hi95")),
    "relative_width_80": relative_width(80),
    "relative_width_95": relative_width(95),
    "winkler_80": winkler(80),
    "winkler_95": winkler(95),
    "pinball": pinball,
    "skill_vs_naive": skill_vs_naive,
    "dm_pvalue": lambda p: np.nan if p.verdict.p_value is None else p.verdict.p_value,
    "verdict": lambda p: p.verdict.label,
    "first_origin": lambda p: p.frame["origin"].min(),
    "last_origin": lambda p: p.frame["origin"].max(),
}


def evaluate(
    forecasts: pd.DataFrame,
    by: Sequence[str],
    metrics: Sequence[str] | Mapping[str, Metric] | None = None,
    *,
    horizon: int = 1,
) -> pd.DataFrame:
    """One row per group of `by` with each metric: `metrics` names registry entries (`METRICS`,
    all by default) or maps names to functions of `Points`. `horizon` is the forecasts'
    horizon, for the Diebold–Mariano test (1 is used when `by` holds `step`)."""
    chosen = _chosen(metrics)
    by = list(by)
    if forecasts.empty:
        return pd.DataFrame(columns=[*by, *chosen])
    dm_horizon = 1 if "step" in by else int(horizon)
    rows = []
    for keys, group in forecasts.groupby(by, sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        points = Points(group.sort_values(["ticker", "fold", "step"]), dm_horizon)
        rows.append({**dict(zip(by, keys, strict=True)), **{name: metric(points) for name, metric in chosen.items()}})
    return pd.DataFrame(rows, columns=[*by, *chosen])


def _chosen(metrics: Sequence[str] | Mapping[str, Metric] | None) -> dict[str, Metric]:
    if metrics is None:
        return dict(METRICS)
    if isinstance(metrics, Mapping):
        return dict(metrics)
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; known: {sorted(METRICS)}")
    return {name: METRICS[name] for name in metrics}


def score_forecasts(frame: pd.DataFrame, dm_horizon: int) -> dict[str, Any]:
    """Every registry metric for one group of forecast rows."""
    points = Points(frame.sort_values(["ticker", "fold", "step"]), dm_horizon)
    return {name: metric(points) for name, metric in METRICS.items()}


def summarise(forecasts: pd.DataFrame, folds: pd.DataFrame, *, by: list[str], horizon: int) -> pd.DataFrame:
    """`evaluate` per group of `by` (a subset of ticker, model, fold, step) with the folds'
    mean timings and failure counts (`folds`: one row per ticker, model and fold)."""
    if forecasts.empty:
        return pd.DataFrame(columns=[*by, *METRIC_COLUMNS])
    table = evaluate(forecasts, by, horizon=horizon)
    fold_keys = [key for key in by if key != "step"]
    ok = folds[folds["error"].isna()]
    timings = ok.groupby(fold_keys)[["fit_seconds", "predict_seconds"]].mean().reset_index()
    failures = folds.assign(failed=folds["error"].notna()).groupby(fold_keys)["failed"].sum()
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


def interval_verdicts(result, reference: str = "naive") -> dict[str, SkillVerdict]:
    """Each model's interval skill against `reference` on the points both forecast (`result`: a
    backtest result, read for its `forecasts` and `config.horizon`):
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
