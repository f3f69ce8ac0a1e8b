"""Forecast accuracy metrics: small pure functions on arrays of equal length.

Conventions callers may rely on: errors are actual − forecast; MAPE and sMAPE are in percent;
coverage and directional accuracy are fractions in [0, 1]; MASE divides by the in-sample
one-step naive MAE of the training prices (`naive_scale`, the one MASE scale of the project,
defined beside the walk-forward engine in `models.walk_forward` and re-exported here).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from models.walk_forward import naive_scale


def _arrays(*values: ArrayLike) -> list[np.ndarray]:
    return [np.asarray(value, dtype=float) for value in values]


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _arrays(actual, forecast)
    return float(np.mean(np.abs(a - f)))


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _arrays(actual, forecast)
    return float(np.sqrt(np.mean((a - f) ** 2)))


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error, in percent (actuals must be non-zero)."""
    a, f = _arrays(actual, forecast)
    return float(100 * np.mean(np.abs((a - f) / a)))


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Symmetric MAPE in percent: 200 · mean(|a − f| / (|a| + |f|)), range 0..200."""
    a, f = _arrays(actual, forecast)
    return float(200 * np.mean(np.abs(a - f) / (np.abs(a) + np.abs(f))))


def mase(actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike) -> float:
    """Mean absolute scaled error: MAE divided by `naive_scale(insample)`."""
    return mae(actual, forecast) / naive_scale(insample)


def directional_accuracy(actual: ArrayLike, forecast: ArrayLike, last_value: ArrayLike | float) -> float:
    """Share of forecasts moving in the realised direction from the origin's price.

    A forecast of no change (within 1e-9 relative, i.e. rounding) counts as half right, so
    the naive model scores 0.5.
    """
    a, f, last = _arrays(actual, forecast, last_value)
    change = np.where(np.abs(f - last) <= 1e-9 * np.abs(last), 0.0, f - last)
    predicted, realised = np.sign(change), np.sign(a - last)
    hits = np.where(predicted == 0, 0.5, (predicted == realised).astype(float))
    return float(np.mean(hits))


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of actuals inside [lower, upper]."""
    a, lo, hi = _arrays(actual, lower, upper)
    return float(np.mean((a >= lo) & (a <= hi)))


def mean_interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    lo, hi = _arrays(lower, upper)
    return float(np.mean(hi - lo))


def winkler_scores(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike, alpha: float) -> np.ndarray:
    """Winkler (interval) score of a (1 − alpha) interval at each point; lower is better.

    width + (2 / alpha) · (lower − actual) when below, + (2 / alpha) · (actual − upper) when above.
    """
    a, lo, hi = _arrays(actual, lower, upper)
    return hi - lo + (2 / alpha) * (np.clip(lo - a, 0, None) + np.clip(a - hi, 0, None))


def winkler_score(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike, alpha: float) -> float:
    """Mean Winkler score (`winkler_scores`) of a (1 − alpha) interval; lower is better."""
    return float(np.mean(winkler_scores(actual, lower, upper, alpha)))


def pinball_loss(actual: ArrayLike, quantile_forecast: ArrayLike, quantile: float) -> float:
    """Mean pinball (quantile) loss of forecasts of the `quantile` (e.g. 0.9); lower is better.

    q · (actual − forecast) when the actual is above, (1 − q) · (forecast − actual) below.
    """
    a, f = _arrays(actual, quantile_forecast)
    diff = a - f
    return float(np.mean(np.maximum(quantile * diff, (quantile - 1) * diff)))


def skill_vs_naive(model_mase: float, naive_mase: float) -> float:
    """1 − MASE_model / MASE_naive on the same folds: > 0 beats naive, < 0 loses to it."""
    return float(1 - model_mase / naive_mase)


def diebold_mariano_pvalue(errors: ArrayLike, reference_errors: ArrayLike, horizon: int = 1, power: int = 1) -> float:
    """Two-sided Diebold–Mariano p-value that two forecasts are equally accurate.

    Loss |e|**power; the loss differential's variance uses autocovariances up to lag
    horizon − 1; Harvey–Leybourne–Newbold small-sample correction with a t(n − 1)
    reference. NaN when the losses are identical or there are fewer than 3 points.
    """
    e1, e2 = _arrays(errors, reference_errors)
    d = np.abs(e1) ** power - np.abs(e2) ** power
    n = len(d)
    if n < 3 or np.allclose(np.abs(e1), np.abs(e2), rtol=1e-9, atol=1e-12):
        return float("nan")
    centred = d - d.mean()
    lags = min(max(int(horizon) - 1, 0), n - 1)
    autocov = [np.dot(centred[k:], centred[: n - k]) / n for k in range(lags + 1)]
    variance = (autocov[0] + 2 * sum(autocov[1:])) / n
    if not variance > 0:
        return float("nan")
    statistic = d.mean() / np.sqrt(variance)
    correction = np.sqrt(max(n + 1 - 2 * horizon + horizon * (horizon - 1) / n, 0.0) / n)
    return float(2 * stats.t.sf(abs(statistic * correction), df=n - 1))
