"""Interval calibration from backtest residuals, and which interval method each model uses.

A model whose backtest coverage at a level misses the nominal rate by more than `tolerance`
gets a split-conformal multiplier for its log interval offsets at that level (computed from
that backtest's normalised errors); a model within tolerance keeps its own intervals. Apply a
calibration only to forecasts made after the backtest's folds, never to the folds it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from models.catalog import get_forecaster_class, list_models
from models.intervals import conformal_factor

LEVELS = (80, 95)


@dataclass(frozen=True)
class IntervalCalibration:
    """How to rescale one model's intervals: `factors[level]` multiplies log offsets."""

    model: str
    method: str
    factors: dict[int, float]
    coverage_before: dict[int, float]
    points: int

    @property
    def is_identity(self) -> bool:
        return all(factor == 1.0 for factor in self.factors.values())


def interval_method(model: str) -> str:
    """The interval method a catalog model uses before any calibration."""
    return get_forecaster_class(model).interval_method


def fit_interval_calibration(
    forecasts: pd.DataFrame, model: str, *, tolerance: float = 0.05, min_points: int = 20
) -> IntervalCalibration:
    """Calibrate `model` from backtest rows (`BacktestResult.forecasts`, any tickers)."""
    rows = forecasts[forecasts["model"] == model]
    if len(rows) < min_points:
        raise InvalidInputError(f"calibrating {model} needs at least {min_points} backtest points, got {len(rows)}")
    actual, mean = np.log(rows["actual"].to_numpy()), np.log(rows["mean"].to_numpy())
    factors, before, recalibrated = {}, {}, []
    for level in LEVELS:
        lo, hi = np.log(rows[f"lo{level}"].to_numpy()), np.log(rows[f"hi{level}"].to_numpy())
        before[level] = float(np.mean((actual >= lo) & (actual <= hi)))
        if abs(before[level] - level / 100) <= tolerance:
            factors[level] = 1.0
        else:
            factors[level] = conformal_factor(actual - mean, hi - mean, mean - lo, level / 100)
            recalibrated.append(str(level))
    method = interval_method(model) if model in list_models() else "the model's own intervals"
    if recalibrated:
        method += f"; conformal rescaling from {len(rows)} backtest errors at {', '.join(recalibrated)}%"
    return IntervalCalibration(model=model, method=method, factors=factors, coverage_before=before, points=len(rows))


def apply_interval_calibration(forecast: pd.DataFrame, calibration: IntervalCalibration) -> pd.DataFrame:
    """A copy of a forecast frame (date, mean, lo80..hi95) with rescaled, still ordered intervals."""
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
