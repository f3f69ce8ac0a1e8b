"""Prophet on log prices, configured for daily trading data, anchored at the last price.

Configuration and why:
- log prices: multiplicative moves become additive, intervals stay positive;
- no daily/weekly seasonality (one observation per session, no weekends) and no yearly
  seasonality by default (four years of prices give noise, not seasonality);
- a stiff trend (`changepoint_prior_scale` 0.05) allowed to bend until 95% of the history;
- anchoring: Prophet's smooth fit can sit far from the last close, which on a random-walk-like
  series costs more than anything the trend adds. The forecast is the last log price plus
  Prophet's predicted change from the last session;
- `update` keeps the fitted curve and re-anchors at the newest price (no refit);
- intervals: the shared GARCH(1,1) volatility bands (`models.volatility`) around the anchored
  path (Prophet's own intervals assume i.i.d. noise around the curve and are far too wide).
Runs offline (the bundled cmdstan); cmdstanpy's per-fit log lines are silenced.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster
from models.calendar import next_trading_days
from models.intervals import Bands
from models.volatility import METHOD, volatility_bands

_PROPHET_FILE = "prophet.json"
CURVE_SESSIONS_AHEAD = 260


def _quiet_prophet_logs() -> None:
    # cmdstanpy sets itself to DEBUG with its own handler on first use unless it has one.
    from cmdstanpy.utils import get_logger

    get_logger().setLevel(logging.WARNING)
    logging.getLogger("prophet").setLevel(logging.WARNING)


class ProphetForecaster(Forecaster):
    """Prophet trend (+ optional yearly seasonality) on log prices, anchored at the last price."""

    name = "prophet"
    min_history = 60
    interval_method = METHOD
    default_params: ClassVar[dict[str, Any]] = {
        "changepoint_prior_scale": 0.05,
        "changepoint_range": 0.95,
        "yearly_seasonality": False,
        "max_train": 1000,
        "seed": 0,
    }
    relative_cost = 0.6
    retired_params: ClassVar[frozenset[str]] = frozenset({"interval_window"})

    def _fit(self, series: pd.Series) -> None:
        from prophet import Prophet

        _quiet_prophet_logs()
        train = series.iloc[-int(self.params["max_train"]) :]
        frame = pd.DataFrame({"ds": train.index, "y": np.log(train.to_numpy())})
        model = Prophet(
            growth="linear",
            changepoint_prior_scale=self.params["changepoint_prior_scale"],
            changepoint_range=self.params["changepoint_range"],
            yearly_seasonality=self.params["yearly_seasonality"],
            weekly_seasonality=False,
            daily_seasonality=False,
            uncertainty_samples=0,
        )
        self._model = model.fit(frame, seed=int(self.params["seed"]))
        # One predict call for the history and a year ahead: Prophet's predict costs ~0.1 s
        # whatever the number of dates, and updates and forecasts only look dates up.
        self._curve = pd.Series(dtype=float)
        self._curve_at(train.index.append(next_trading_days(train.index[-1], CURVE_SESSIONS_AHEAD)))
        self._set_anchor(train)

    def _curve_at(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Prophet's log-price curve on `dates`, computed once per date."""
        missing = dates.difference(self._curve.index)
        if len(missing):
            fresh = pd.Series(self._model.predict(pd.DataFrame({"ds": missing}))["yhat"].to_numpy(), index=missing)
            self._curve = pd.concat([self._curve, fresh]).sort_index() if len(self._curve) else fresh
        return self._curve.reindex(dates).to_numpy()

    def _set_anchor(self, train: pd.Series) -> None:
        self._fitted_log = self._curve_at(train.index)
        self._actual_log = np.log(train.to_numpy())

    def _update(self, series: pd.Series) -> None:
        # Keep the fitted curve (Prophet's parameters); re-anchor at the newest price.
        self._set_anchor(series.iloc[-int(self.params["max_train"]) :])

    def _predict(self, horizon: int) -> Bands:
        curve = self._curve_at(next_trading_days(self.history.index[-1], horizon))
        change = curve - self._fitted_log[-1]
        log_mean = self._actual_log[-1] + change
        return volatility_bands(log_mean, self.history.to_numpy())

    def _save_state(self, path: Path) -> None:
        from prophet.serialize import model_to_json

        (path / _PROPHET_FILE).write_text(model_to_json(self._model))
        arrays = {
            "fitted_log": self._fitted_log.tolist(),
            "actual_log": self._actual_log.tolist(),
            "curve_dates": [d.isoformat() for d in self._curve.index],
            "curve": self._curve.tolist(),
            "dates": [d.isoformat() for d in self.history.index],
            "close": self.history.tolist(),
        }
        (path / "arrays.json").write_text(json.dumps(arrays))

    def _load_state(self, path: Path) -> None:
        from prophet.serialize import model_from_json

        self._model = model_from_json((path / _PROPHET_FILE).read_text())
        arrays = json.loads((path / "arrays.json").read_text())
        self._fitted_log = np.array(arrays["fitted_log"])
        self._actual_log = np.array(arrays["actual_log"])
        self._curve = pd.Series(arrays["curve"], index=pd.DatetimeIndex(arrays["curve_dates"]))
        self._history = pd.Series(arrays["close"], index=pd.DatetimeIndex(arrays["dates"]), name="close")
