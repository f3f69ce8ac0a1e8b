"""ARIMA on log prices: statsforecast's AutoARIMA, order chosen by AICc.

The order search is statsforecast's (Hyndman–Khandakar stepwise search over p ≤ `max_p`,
q ≤ `max_q`, p + q ≤ `max_order`, with or without drift, by `criterion`, AICc by default — the
small-sample correction of AIC that penalises the extra parameters an order brings). d = 1 is
fixed: log prices are integrated, and a unit-root test on a short window would sometimes say
otherwise by chance. Prices as a random walk give (0, 1, 0); returns with autocorrelation give
more. The training window is capped at `max_train` prices. `update` conditions the fitted
model on newer prices (statsforecast's `forward`: coefficients kept, no search); `refit`
re-estimates the coefficients of the order found. Intervals: the shared GARCH(1,1) volatility
bands (`models.volatility`) around the ARIMA path; ARIMA's own assume constant volatility.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster
from models.errors import ModelFitError
from models.intervals import Bands
from models.volatility import METHOD, volatility_bands

logger = logging.getLogger(__name__)
# statsforecast's order vector: (p, q, P, Q, season, d, D).
_P, _Q, _D = 0, 1, 5


class ArimaForecaster(Forecaster):
    """ARIMA(p, 1, q) on log prices, with optional drift, order by AICc (statsforecast)."""

    name = "arima"
    min_history = 30
    interval_method = METHOD
    default_params: ClassVar[dict[str, Any]] = {
        "max_p": 5,
        "max_q": 5,
        "max_order": 5,
        "criterion": "aicc",
        "max_train": 1000,
    }
    relative_cost = 0.3
    # The statsmodels grid search's knobs, ignored when loading a forecaster saved by it.
    retired_params: ClassVar[frozenset[str]] = frozenset({"max_search_seconds", "maxiter"})

    @property
    def order(self) -> tuple[int, int, int]:
        """(p, d, q) of the fitted model."""
        arma = self._model.model_["arma"]
        return int(arma[_P]), int(arma[_D]), int(arma[_Q])

    @property
    def has_drift(self) -> bool:
        return "drift" in self.coefficients

    @property
    def coefficients(self) -> dict[str, float]:
        """The estimated coefficients by name (ar1, ma1, drift, …); empty for (0, 1, 0)."""
        return {name: float(value) for name, value in self._model.model_["coef"].items()}

    def _training_values(self, series: pd.Series) -> np.ndarray:
        return np.log(series.to_numpy()[-int(self.params["max_train"]) :])

    def _fit(self, series: pd.Series) -> None:
        # statsforecast costs ~1 s to import: only when an ARIMA is fitted.
        from statsforecast.models import AutoARIMA

        model = AutoARIMA(
            d=1,
            max_p=int(self.params["max_p"]),
            max_q=int(self.params["max_q"]),
            max_order=int(self.params["max_order"]),
            ic=str(self.params["criterion"]),
            seasonal=False,
            season_length=1,
        )
        self._model = self._estimate(model, self._training_values(series))
        self._values = self._training_values(series)
        logger.debug("arima chose order=%s drift=%s", self.order, self.has_drift)

    def _refit(self, series: pd.Series) -> None:
        # The order found by the search stays; its coefficients are estimated anew.
        from statsforecast.models import ARIMA

        model = ARIMA(order=self.order, include_mean=False, include_drift=self.has_drift)
        self._model = self._estimate(model, self._training_values(series))
        self._values = self._training_values(series)

    @staticmethod
    def _estimate(model, values: np.ndarray):
        try:
            with np.errstate(all="ignore"):
                return model.fit(values)
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError) as exc:
            raise ModelFitError(f"no ARIMA order could be fitted to this series: {exc}") from exc

    def _update(self, series: pd.Series) -> None:
        # Same coefficients, filtered through the new data: no search, no estimation.
        self._values = self._training_values(series)

    def _predict(self, horizon: int) -> Bands:
        with np.errstate(all="ignore"):
            mean = np.asarray(self._model.forward(self._values, horizon)["mean"], dtype=float)
        return volatility_bands(mean, self.history.to_numpy())

    def _load_state(self, path) -> None:
        super()._load_state(path)
        if "_model" not in self.__dict__:
            # Saved by the statsmodels version (no statsforecast model inside): estimate anew
            # on the saved history, with the saved parameters.
            logger.info("arima saved by an older version: refitted on its saved history")
            self._fit(self.history)
