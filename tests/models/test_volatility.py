"""The volatility intervals: hand-checked GARCH, GJR and EWMA recursions, sqrt-h widening,
calibration, and the ensemble's combined variance."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from models.catalog import create_forecaster
from models.volatility import (
    COMBINED,
    EWMA_SPEEDS,
    GARCH,
    GARCH_ALPHA,
    GARCH_BETA,
    GJR_ALPHA,
    GJR_BETA,
    GJR_GAMMA,
    LEVEL_SCALE,
    conditional_variance,
    ewma_variance,
    horizon_variance,
)


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


def test_gjr_adds_gamma_only_after_a_fall() -> None:
    returns = np.array([0.01, -0.02, 0.005, -0.03, 0.01])
    long_run = np.mean(returns**2)
    omega, var = (1 - GJR_ALPHA - GJR_GAMMA / 2 - GJR_BETA) * long_run, long_run
    for r in returns:
        var = omega + (GJR_ALPHA + (GJR_GAMMA if r < 0 else 0.0)) * r * r + GJR_BETA * var
    got = conditional_variance(returns, alpha=GJR_ALPHA, beta=GJR_BETA, gamma=GJR_GAMMA)
    assert got == pytest.approx((var, long_run))
    # The same size of move raises tomorrow's variance more when it is a fall.
    up = conditional_variance(np.append(returns, 0.04), alpha=GJR_ALPHA, beta=GJR_BETA, gamma=GJR_GAMMA)[0]
    down = conditional_variance(np.append(returns, -0.04), alpha=GJR_ALPHA, beta=GJR_BETA, gamma=GJR_GAMMA)[0]
    assert down > up


def test_ewma_variance_matches_the_recursion_by_hand() -> None:
    returns = np.array([0.01, -0.02, 0.005, 0.03])
    long_run = np.mean(returns**2)
    level = (1 - sum(weight for _, weight in EWMA_SPEEDS)) * long_run
    for decay, weight in EWMA_SPEEDS:
        smoothed = long_run
        for r in returns:
            smoothed = decay * smoothed + (1 - decay) * r * r
        level += weight * smoothed
    assert ewma_variance(returns, 3) == pytest.approx(level * np.arange(1, 4))


def test_the_combined_variance_is_the_mean_of_gjr_and_ewma() -> None:
    log_prices = np.log(garch_prices(700, seed=4).to_numpy())
    returns = np.diff(log_prices)[-500:]
    gjr = conditional_variance(returns, alpha=GJR_ALPHA, beta=GJR_BETA, gamma=GJR_GAMMA)
    phi = GJR_ALPHA + GJR_GAMMA / 2 + GJR_BETA
    gjr_path = np.cumsum([gjr[1] + phi ** (i - 1) * (gjr[0] - gjr[1]) for i in range(1, 6)])
    expected = (gjr_path + ewma_variance(returns, 5)) / 2
    assert COMBINED.horizon_variance(log_prices, 5) == pytest.approx(expected)
    assert GARCH.horizon_variance(log_prices, 5) == pytest.approx(horizon_variance(log_prices, 5))


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


@pytest.mark.parametrize("model", [GARCH, COMBINED], ids=lambda m: m.name)
def test_each_volatility_model_covers_a_garch_series_near_nominal(model) -> None:
    log_prices = np.log(garch_prices(2400, seed=5).to_numpy())
    inside = {80: [], 95: []}
    for origin in range(400, len(log_prices) - 5, 5):
        half = np.sqrt(model.horizon_variance(log_prices[: origin + 1], 5))
        moves = np.abs(log_prices[origin + 1 : origin + 6] - log_prices[origin])
        for level in inside:
            inside[level].append(moves <= model.level_scale[level] * norm.ppf(0.5 + level / 200) * half)
    for level in inside:
        expected = 2 * norm.cdf(model.level_scale[level] * norm.ppf(0.5 + level / 200)) - 1
        assert float(np.mean(inside[level])) == pytest.approx(expected, abs=0.04)


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
