"""Interval checks from backtest residuals, and which interval method each model uses.

Every model's intervals come from one mechanism, the GARCH(1,1) volatility bands of
`models.volatility`, calibrated once on development data (bench/intervals.py). A champion's
backtest no longer rescales them: on one ticker's few dozen overlapping errors a coverage
miss of 5 points is mostly chance, and rescaling by it made intervals worse out of sample.
`fit_interval_calibration` therefore measures coverage and always returns identity factors;
`apply_interval_calibration` still applies the factors of calibrations saved by older
versions, so champions registered before this change forecast as they did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import InvalidInputError
from models.catalog import get_forecaster_class, list_models

# The type lives with the intervals in `models` (registered models apply it without `core`);
# named here too, where models pickled by older versions look for it.
from models.intervals import IntervalCalibration, calibrate_intervals

__all__ = ["LEVELS", "IntervalCalibration", "apply_interval_calibration", "fit_interval_calibration", "interval_method"]

LEVELS = (80, 95)


def interval_method(model: str) -> str:
    """The interval method a catalog model uses."""
    return get_forecaster_class(model).interval_method


def fit_interval_calibration(forecasts: pd.DataFrame, model: str, *, min_points: int = 20) -> IntervalCalibration:
    """Measure `model`'s coverage on backtest rows (`BacktestResult.forecasts`, any tickers)."""
    rows = forecasts[forecasts["model"] == model]
    if len(rows) < min_points:
        raise InvalidInputError(
            f"checking {model}'s intervals needs at least {min_points} backtest points, got {len(rows)}"
        )
    actual = rows["actual"].to_numpy()
    before = {
        level: float(np.mean((actual >= rows[f"lo{level}"].to_numpy()) & (actual <= rows[f"hi{level}"].to_numpy())))
        for level in LEVELS
    }
    method = interval_method(model) if model in list_models() else "the model's own intervals"
    return IntervalCalibration(
        model=model, method=method, factors=dict.fromkeys(LEVELS, 1.0), coverage_before=before, points=len(rows)
    )


def apply_interval_calibration(forecast: pd.DataFrame, calibration: IntervalCalibration) -> pd.DataFrame:
    """A copy of a forecast frame (date, mean, lo80..hi95) with rescaled, still ordered intervals."""
    return calibrate_intervals(forecast, calibration).copy()
