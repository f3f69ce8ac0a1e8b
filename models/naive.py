"""The baselines every other model is judged by: the random walk (naive) and random walk with
drift, both on log prices with analytic Gaussian intervals.

Volatility comes from the last `sigma_window` daily log returns (a year by default): recent
enough to follow volatility regimes, long enough to be stable.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster
from models.intervals import Bands


class NaiveForecaster(Forecaster):
    """Tomorrow's price is today's: mean = last price; h-step sd = sigma * sqrt(h)."""

    name = "naive"
    min_history = 3
    interval_method = "analytic: Gaussian random walk on log prices, sigma from recent returns"
    default_params: ClassVar[dict[str, Any]] = {"sigma_window": 250}
    relative_cost = 0.05

    def _fit(self, series: pd.Series) -> None:
        returns = np.diff(np.log(series.to_numpy()))
        recent = returns[-int(self.params["sigma_window"]) :]
        # Root mean square, not std: a random walk without drift has zero-mean steps.
        self._sigma = float(np.sqrt(np.mean(recent**2)))
        self._last_log = float(np.log(series.iloc[-1]))

    def _predict(self, horizon: int) -> Bands:
        steps = np.arange(1, horizon + 1)
        bands = Bands.from_log_normal(np.full(horizon, self._last_log), self._sigma * np.sqrt(steps))
        # The point forecast is exactly the last price, not exp(log(price)) with rounding.
        return dataclasses.replace(bands, mean=np.full(horizon, float(self.history.iloc[-1])))


class DriftForecaster(Forecaster):
    """Random walk with drift: the mean daily log return continues.

    The drift is the average log return over the whole history (its estimation error is in
    the interval: sd_h = sigma * sqrt(h * (1 + h / T))).
    """

    name = "drift"
    min_history = 3
    interval_method = "analytic: Gaussian random walk with drift on log prices, incl. drift uncertainty"
    default_params: ClassVar[dict[str, Any]] = {"sigma_window": 250}
    relative_cost = 0.05

    def _fit(self, series: pd.Series) -> None:
        returns = np.diff(np.log(series.to_numpy()))
        self._drift = float(returns.mean())
        self._n_returns = len(returns)
        recent = returns[-int(self.params["sigma_window"]) :]
        self._sigma = float(recent.std(ddof=1)) if len(recent) > 1 else float(abs(recent[0]))
        self._last_log = float(np.log(series.iloc[-1]))

    def _predict(self, horizon: int) -> Bands:
        steps = np.arange(1, horizon + 1)
        sd = self._sigma * np.sqrt(steps * (1 + steps / self._n_returns))
        return Bands.from_log_normal(self._last_log + self._drift * steps, sd)
