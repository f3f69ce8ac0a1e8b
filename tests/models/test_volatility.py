"""The shared volatility intervals: hand-checked GARCH recursion, sqrt-h widening, calibration."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from models.catalog import create_forecaster
from models.volatility import GARCH_ALPHA, GARCH_BETA, LEVEL_SCALE, conditional_variance, horizon_variance


def garch_prices(n: int, seed: int, *, alpha=0.08, beta=0.9, daily_sd=0.015) -> pd.Series:
    """Prices whose log returns follow a GARCH(1,1) with Gaussian shocks."""
    rng = np.random.default_rng(seed)
    long_run = daily_sd**2
    omega, var, returns = (1 - alpha - beta) * long_run, long_run, np.empty(n)
    for t in range(n):
        returns[t] = np.sqrt(var) * rng.standard_normal()
        var = omega + alpha * returns[t] ** 2 + beta * var
    dates = pd.bdate_range("2015-01-02", periods=n + 1)
    return pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)])), index=dates)


def test_conditional_variance_matches_the_recursion_by_hand() -> None:
    returns = np.array([0.01, -0.02, 0.005, 0.03])
    long_run = np.mean(returns**2)
    omega, var = (1 - GARCH_ALPHA - GARCH_BETA) * long_run, long_run
    for r in returns:
        var = omega + GARCH_ALPHA * r * r + GARCH_BETA * var
    assert conditional_variance(returns) == pytest.approx((var, long_run))


def test_horizon_variance_sums_the_step_forecasts() -> None:
    log_prices = np.log(garch_prices(300, seed=1).to_numpy())
    next_var, long_run = conditional_variance(np.diff(log_prices)[-500:])
    phi = GARCH_ALPHA + GARCH_BETA
    steps = [long_run + phi ** (i - 1) * (next_var - long_run) for i in range(1, 11)]
    assert horizon_variance(log_prices, 10) == pytest.approx(np.cumsum(steps))


def test_intervals_widen_like_sqrt_h_and_after_a_shock() -> None:
    prices = garch_prices(600, seed=2)
    calm = create_forecaster("naive").fit(prices).predict(20)
    width = np.log(calm["hi80"] / calm["lo80"]).to_numpy()
    assert (np.diff(width) > 0).all()
    # Between h = 1 and h = 16 the width grows about 4x (sqrt(16)), give or take mean reversion.
    assert 3.0 < width[15] / width[0] < 5.0
    shocked = prices.copy()
    shocked.iloc[-1] *= 0.85  # a 15% fall on the last day
    after = create_forecaster("naive").fit(shocked).predict(20)
    assert np.log(after["hi80"] / after["lo80"]).iloc[0] > 1.5 * width[0]


@pytest.mark.parametrize("name", ["naive", "drift"])
def test_coverage_on_a_garch_series_is_near_nominal(name: str) -> None:
    prices = garch_prices(2400, seed=3)
    hits = {80: [], 95: []}
    for origin in range(400, len(prices) - 5, 7):
        forecast = create_forecaster(name).fit(prices.iloc[: origin + 1]).predict(5)
        actual = prices.iloc[origin + 1 : origin + 6].to_numpy()
        for level in hits:
            inside = (actual >= forecast[f"lo{level}"]) & (actual <= forecast[f"hi{level}"])
            hits[level].append(inside.to_numpy())
    coverage = {level: float(np.mean(np.concatenate(v))) for level, v in hits.items()}
    # A Gaussian GARCH series has light tails, so the fat-tail scales (tuned on real prices) hold
    # what a Gaussian holds at scale × z: a little under 80%, a little over 95%.
    expected = {level: 2 * norm.cdf(LEVEL_SCALE[level] * norm.ppf(0.5 + level / 200)) - 1 for level in hits}
    assert coverage[80] == pytest.approx(expected[80], abs=0.04)
    assert coverage[95] == pytest.approx(expected[95], abs=0.03)
