"""Prediction intervals: the `Bands` a forecaster returns, and the ways models build them.

Every catalog model builds its bands with a `models.volatility.VolatilityModel` (offsets
around a log-price path: GARCH for single models, COMBINED for the ensemble); the other
constructors serve tests and custom forecasters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
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


@dataclass(frozen=True)
class IntervalCalibration:
    """One model's backtest coverage per level; `factors[level]` multiplies log offsets."""

    model: str
    method: str
    factors: dict[int, float]
    coverage_before: dict[int, float]
    points: int

    @property
    def is_identity(self) -> bool:
        return all(factor == 1.0 for factor in self.factors.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> IntervalCalibration:
        data = json.loads(text)
        for key in ("factors", "coverage_before"):
            data[key] = {int(level): float(value) for level, value in data[key].items()}
        return cls(**data)


def calibrate_intervals(forecast: pd.DataFrame, calibration: IntervalCalibration | None) -> pd.DataFrame:
    """A forecast frame (date, mean, lo80..hi95) with its log offsets rescaled by `calibration`
    (the frame itself when there is none or it changes nothing); intervals stay ordered."""
    if calibration is None or calibration.is_identity:
        return forecast
    out = forecast.copy()
    log_mean = np.log(out["mean"].to_numpy())
    for level, factor in calibration.factors.items():
        for bound in ("lo", "hi"):
            column = f"{bound}{level}"
            offset = np.log(out[column].to_numpy()) - log_mean
            out[column] = np.exp(log_mean + factor * offset)
    out["lo95"] = np.minimum(out["lo95"], out["lo80"])
    out["hi95"] = np.maximum(out["hi95"], out["hi80"])
    return out
