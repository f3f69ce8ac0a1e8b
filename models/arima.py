"""ARIMA on log prices (statsmodels SARIMAX), order chosen by an information criterion.

The search is a fixed small grid (p, q in 0..max_order, d = 1, with and without drift), so
the chosen model is deterministic; each fit is capped in iterations, the training window is
capped at `max_train` prices, and the search stops early (with a log line) past
`max_search_seconds`. Intervals: the shared GARCH(1,1) volatility bands (`models.volatility`)
around the ARIMA path; ARIMA's own Gaussian intervals assume constant volatility.
"""

from __future__ import annotations

import itertools
import logging
import time
import warnings
from contextlib import contextmanager, nullcontext
from functools import cache
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster
from models.errors import ModelFitError
from models.intervals import Bands
from models.volatility import METHOD, volatility_bands

logger = logging.getLogger(__name__)


@cache
def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries (scanning them costs ~10 ms)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it BLAS keeps its own thread count
        return None
    return ThreadpoolController()


@contextmanager
def quiet_statsmodels():
    """statsmodels warns on most price series (convergence, frequency): silence it here only.
    One BLAS thread: the Kalman filter's small matrices run 5x slower on a busy machine when
    OpenBLAS spreads them over threads (threadpoolctl, when installed, limits it locally)."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, EstimationWarning, ValueWarning

    controller = _blas_controller()
    threads = controller.limit(limits=1, user_api="blas") if controller else nullcontext()
    with warnings.catch_warnings(), threads:
        for category in (ConvergenceWarning, EstimationWarning, ValueWarning, RuntimeWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        yield


class ArimaForecaster(Forecaster):
    """ARIMA(p, 1, q) on log prices, with optional drift, order by AIC or BIC."""

    name = "arima"
    min_history = 30
    interval_method = METHOD
    default_params: ClassVar[dict[str, Any]] = {
        "max_order": 1,
        "criterion": "bic",
        "max_train": 1000,
        "max_search_seconds": 10.0,
        "maxiter": 50,
    }
    relative_cost = 1.0

    def _fit(self, series: pd.Series) -> None:
        log_prices = self._training_values(series)
        best, best_score, started = None, np.inf, time.perf_counter()
        for order, trend in self._candidates():
            if time.perf_counter() - started > self.params["max_search_seconds"]:
                logger.info("arima order search stopped at its time budget before %s %s", order, trend)
                break
            try:
                result = self._fit_one(log_prices, order, trend)
            except (np.linalg.LinAlgError, ValueError) as exc:
                logger.debug("arima %s trend=%s failed: %s", order, trend, exc)
                continue
            score = getattr(result, self.params["criterion"])
            if np.isfinite(score) and score < best_score:
                best, best_score = result, score
        if best is None:
            raise ModelFitError("no ARIMA order could be fitted to this series")
        self._result = best
        self.order = best.model.order
        self.trend = best.model.trend
        logger.debug(
            "arima chose order=%s trend=%s %s=%.1f", self.order, self.trend, self.params["criterion"], best_score
        )

    def _candidates(self):
        orders = range(int(self.params["max_order"]) + 1)
        for p, q in itertools.product(orders, orders):
            for trend in ("n", "t"):
                yield (p, 1, q), trend

    def _training_values(self, series: pd.Series) -> np.ndarray:
        return np.log(series.to_numpy()[-int(self.params["max_train"]) :])

    def _fit_one(self, log_prices: np.ndarray, order: tuple[int, int, int], trend: str, start_params=None):
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        has_params = order != (0, 1, 0) or trend != "n"
        with quiet_statsmodels():
            model = SARIMAX(log_prices, order=order, trend=trend, concentrate_scale=has_params)
            return model.fit(start_params=start_params, disp=False, maxiter=int(self.params["maxiter"]))

    def _refit(self, series: pd.Series) -> None:
        # The order found by the search stays; parameters are re-estimated from the old ones.
        self._result = self._fit_one(
            self._training_values(series), self.order, self.trend, start_params=self._result.params
        )

    def _update(self, series: pd.Series) -> None:
        # Same estimated parameters, filtered through the new data: no re-estimation.
        with quiet_statsmodels():
            self._result = self._result.apply(self._training_values(series))

    def _predict(self, horizon: int) -> Bands:
        with quiet_statsmodels():
            forecast = self._result.get_forecast(horizon)  # the point path only
            mean = np.asarray(forecast.predicted_mean, dtype=float)
        return volatility_bands(mean, self.history.to_numpy())
