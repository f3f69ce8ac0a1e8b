"""Prediction intervals: the `Bands` a forecaster returns, and the ways models build them.

Methods in use (each model states its own in `interval_method`):
- analytic / model: Gaussian on log prices (`Bands.from_log_normal`);
- residual quantiles: empirical quantiles of past h-step errors (`Bands.from_log_errors`);
- conformal: interval offsets scaled by the conformal quantile of past normalised errors
  (`conformal_factor`), used by the ensemble and by `core.forecasting.calibration`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

Z80, Z95 = norm.ppf(0.90), norm.ppf(0.975)


@dataclass(frozen=True)
class Bands:
    """A forecast path in price units: point forecast and the 80%/95% interval bounds."""

    mean: np.ndarray
    lo80: np.ndarray
    hi80: np.ndarray
    lo95: np.ndarray
    hi95: np.ndarray

    @classmethod
    def from_log_normal(cls, log_mean: np.ndarray, log_sd: np.ndarray) -> Bands:
        """Gaussian intervals on log prices, mapped back to prices (median as point)."""
        return cls.from_log_offsets(log_mean, Z80 * log_sd, Z95 * log_sd)

    @classmethod
    def from_log_offsets(cls, log_mean, half80, half95, low80=None, low95=None) -> Bands:
        """Intervals as offsets around a log-price path; symmetric unless `low*` given."""
        low80 = half80 if low80 is None else low80
        low95 = half95 if low95 is None else low95
        return cls(
            mean=np.exp(log_mean),
            lo80=np.exp(log_mean - low80),
            hi80=np.exp(log_mean + half80),
            lo95=np.exp(log_mean - low95),
            hi95=np.exp(log_mean + half95),
        )

    @classmethod
    def from_log_errors(cls, log_mean: np.ndarray, errors_by_step: list[np.ndarray]) -> Bands:
        """Empirical intervals: quantiles of past h-step log errors (one array per step)."""
        quantiles = np.array([np.quantile(e, [0.025, 0.10, 0.90, 0.975]) for e in errors_by_step])
        return cls.from_log_offsets(
            log_mean,
            half80=np.maximum(quantiles[:, 2], 0.0),
            half95=np.maximum(quantiles[:, 3], 0.0),
            low80=np.maximum(-quantiles[:, 1], 0.0),
            low95=np.maximum(-quantiles[:, 0], 0.0),
        )


def h_step_errors(actual_log: np.ndarray, path_change, horizon: int) -> list[np.ndarray]:
    """Past anchored h-step errors for h = 1..horizon.

    `path_change(h)` returns, for every origin t in 0..n-1-h, the model's predicted change of
    log price from t to t+h; the error is the realised change minus that prediction.
    """
    errors = []
    for step in range(1, horizon + 1):
        realised = actual_log[step:] - actual_log[:-step]
        errors.append(realised - path_change(step))
    return errors


def conformal_factor(log_errors: np.ndarray, upper: np.ndarray, lower: np.ndarray, level: float) -> float:
    """Split-conformal multiplier for interval offsets so that `level` (e.g. 0.8) of past
    errors would have been covered: the ceil((n + 1) * level)-th smallest normalised score,
    where a score is |error| divided by the offset on the error's side."""
    errors = np.ravel(log_errors)
    width = np.where(errors >= 0, np.ravel(upper), np.ravel(lower))
    scores = np.sort(np.abs(errors) / np.maximum(width, 1e-12))
    n = len(scores)
    rank = min(int(np.ceil((n + 1) * level)), n) - 1
    return float(scores[rank])
