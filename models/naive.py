"""The baselines every other model is judged by: the random walk (naive) and random walk with
drift, both on log prices, with the shared GARCH(1,1) volatility intervals (`models.volatility`)
whose long-run variance comes from the last `sigma_window` daily log returns.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster
from models.intervals import Bands
from models.volatility import METHOD, VARIANCE_WINDOW, volatility_bands


class NaiveForecaster(Forecaster):
    """Tomorrow's price is today's: mean = last price."""

    name = "naive"
    min_history = 3
    interval_method = METHOD
    default_params: ClassVar[dict[str, Any]] = {"sigma_window": VARIANCE_WINDOW}
    relative_cost = 0.05

    def _fit(self, series: pd.Series) -> None:
        self._last_log = float(np.log(series.iloc[-1]))

    def _predict(self, horizon: int) -> Bands:
        prices = self.history.to_numpy()
        bands = volatility_bands(np.full(horizon, self._last_log), prices, window=int(self.params["sigma_window"]))
        # The point forecast is exactly the last price, not exp(log(price)) with rounding.
        return dataclasses.replace(bands, mean=np.full(horizon, float(self.history.iloc[-1])))


class DriftForecaster(Forecaster):
    """Random walk with drift: the mean daily log return continues.

    The drift is the average log return over the whole history.
    """

    name = "drift"
    min_history = 3
    interval_method = METHOD
    default_params: ClassVar[dict[str, Any]] = {"sigma_window": VARIANCE_WINDOW}
    relative_cost = 0.05

    def _fit(self, series: pd.Series) -> None:
        returns = np.diff(np.log(series.to_numpy()))
        self._drift = float(returns.mean())
        self._last_log = float(np.log(series.iloc[-1]))

    def _predict(self, horizon: int) -> Bands:
        steps = np.arange(1, horizon + 1)
        window = int(self.params["sigma_window"])
        return volatility_bands(self._last_log + self._drift * steps, self.history.to_numpy(), window=window)
