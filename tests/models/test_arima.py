"""ARIMA finds structure where there is some (AICc, statsforecast's AutoARIMA), and only there."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.catalog import create_forecaster, forecaster_factory
from models.walk_forward import walk_forward


def _ar1_prices(phi: float, n: int = 700, seed: int = 7) -> pd.Series:
    """Prices whose daily log returns follow an AR(1) with coefficient `phi`."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, 0.01, n)
    returns = np.zeros(n)
    for t in range(1, n):
        returns[t] = phi * returns[t - 1] + shocks[t]
    dates = pd.bdate_range("2015-01-02", periods=n)
    return pd.Series(100 * np.exp(np.cumsum(returns)), index=dates, name="close")


def _one_step_mae(series: pd.Series, model: str) -> float:
    origins = list(range(500, len(series) - 1, 3))
    made = walk_forward(series, forecaster_factory(model), origins, 1, refit=False)
    errors = [abs(m.frame["mean"].iloc[0] - series.iloc[m.origin + 1]) for m in made]
    return float(np.mean(errors))


def test_an_ar1_in_returns_gives_an_order_beyond_the_random_walk_and_beats_naive() -> None:
    prices = _ar1_prices(phi=0.4)
    arima = create_forecaster("arima").fit(prices.iloc[:500])
    p, d, q = arima.order
    assert d == 1 and (p, q) != (0, 0)
    assert arima.params["criterion"] == "aicc"
    # One step ahead, on origins after the fit (parameters kept, prices moved on with update).
    assert _one_step_mae(prices, "arima") < 0.9 * _one_step_mae(prices, "naive")


def test_a_random_walk_gives_the_random_walk() -> None:
    prices = _ar1_prices(phi=0.0, seed=3)
    arima = create_forecaster("arima").fit(prices)
    assert arima.order == (0, 1, 0)
    last = float(prices.iloc[-1])
    np.testing.assert_allclose(arima.predict(3)["mean"], last, rtol=2e-3)


def test_refit_keeps_the_order_and_update_keeps_the_coefficients() -> None:
    prices = _ar1_prices(phi=0.4)
    arima = create_forecaster("arima").fit(prices.iloc[:500])
    order, coefficients = arima.order, dict(arima.coefficients)
    arima.update(prices.iloc[:600])
    assert arima.coefficients == coefficients and arima.history.index[-1] == prices.index[599]
    arima.refit(prices)
    assert arima.order == order and arima.coefficients != coefficients
