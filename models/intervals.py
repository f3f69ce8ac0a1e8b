"""Prediction intervals: the `Bands` a forecaster returns, and the ways models build them.

Every catalog model builds its bands with a `models.volatility.VolatilityModel` (offsets
around a log-price path: GARCH for single models, COMBINED for the ensemble); the other
constructors serve tests and custom forecasters.
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
