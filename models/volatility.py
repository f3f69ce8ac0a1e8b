"""The prediction intervals of every forecaster: volatility forecasts of log returns.

Each model supplies its own point path (a log-price path); the interval around it comes from
a `VolatilityModel`, a forecast of the h-step log-price variance V(h) from past log returns,
Gaussian on log prices times a per-level scale that corrects for fat tails. Two are used:

- `GARCH`, the bands of every single model: a GARCH(1,1) of log returns with variance targeting,

    σ²(t+1) = ω + α·r(t)² + β·σ²(t),   ω = (1 − φ)·σ̄²,   φ = α + β,
    V(h) = h·σ̄² + (σ²(T+1) − σ̄²)·(1 − φ^h) / (1 − φ),

  with σ̄² the mean squared log return of the last `VARIANCE_WINDOW` returns. So intervals widen
  with the square root of the horizon, are wider after a shock and revert to the long-run
  level over long horizons.
- `COMBINED`, the ensemble's: as the ensemble averages its members' paths it averages two
  variance forecasts that each beat the symmetric GARCH on held-out data — a GJR-GARCH (the
  same recursion with α + γ after a fall, the leverage effect of equities) and a two-speed
  EWMA (half-lives of about 7 and 34 sessions, plus the long-run level).

How the constants were chosen (bench/intervals.py reproduces it), on 15 development tickers
through 2015 only (the other 15 tickers and 2016 were kept for checking): per-ticker `arch`
fits were too noisy to use one by one (α + β from 0.19 to 1.00), so parameters are pooled,
chosen on a grid (φ ∈ 0.90…0.9999, windows 250/500/1000) for the steadiest 5-day coverage from
one half-year to the next; near-integrated persistence (φ = 0.999, close to RiskMetrics'
EWMA) won: fast mean reversion over-covers in calm spells after a storm. On the checking
tickers the combined variance scored a 0.6 % (80 %) and 1.2 % (95 %) lower Winkler score than
the GARCH at the same coverage; the GJR alone 0.4 % / 0.8 %, asymmetric (skewed) level scales
0.1–0.2 % (not used). The level scales are the empirical quantiles of |z| = |h-day log return|
/ √V(h) over nominal, pooled over all 30 development tickers, every year 2013–2016 and steps
1–5 so that no single regime sets them (bench/interval_coverage_by_year.py prints coverage by
year with them): coverage swings by about ±3 points from year to year, with market-wide storms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm

from models.intervals import Bands

VARIANCE_WINDOW = 500
GARCH_ALPHA, GARCH_BETA = 0.06, 0.939
GJR_ALPHA, GJR_GAMMA, GJR_BETA = 0.03, 0.06, 0.939  # persistence α + γ/2 + β = 0.999 as above
EWMA_SPEEDS = ((0.90, 0.5), (0.98, 0.4))  # (decay λ, weight); the rest on the long-run level
LEVELS = (80, 95)
Z = {level: float(norm.ppf(0.5 + level / 200)) for level in LEVELS}


def conditional_variance(
    returns: np.ndarray, *, alpha: float = GARCH_ALPHA, beta: float = GARCH_BETA, gamma: float = 0.0
) -> tuple[float, float]:
    """(σ²(T+1), σ̄²): next step's conditional variance and the long-run variance it reverts to.

    GJR-GARCH when `gamma` > 0: a negative return adds (α + γ)·r² instead of α·r².
    """
    r = np.asarray(returns, dtype=float)
    long_run = float(np.mean(r**2)) if len(r) else 0.0
    if len(r) == 0 or long_run <= 0:
        return long_run, long_run
    omega = (1 - alpha - gamma / 2 - beta) * long_run
    # σ²(t+1) − β·σ²(t) = ω + (α + γ·[r(t) < 0])·r(t)²: linear in σ², so a linear filter.
    forced = omega + (alpha + gamma * (r < 0)) * r**2
    sigma2, _ = lfilter([1.0], [1.0, -beta], forced, zi=[beta * long_run])
    return float(sigma2[-1]), long_run


def garch_variance(
    returns: np.ndarray, horizon: int, *, alpha: float = GARCH_ALPHA, beta: float = GARCH_BETA, gamma: float = 0.0
) -> np.ndarray:
    """V(h) for h = 1..horizon of a (GJR-)GARCH(1,1) with variance targeting."""
    next_var, long_run = conditional_variance(returns, alpha=alpha, beta=beta, gamma=gamma)
    steps = np.arange(1, horizon + 1)
    persistence = alpha + gamma / 2 + beta
    return steps * long_run + (next_var - long_run) * (1 - persistence**steps) / (1 - persistence)


def ewma_variance(returns: np.ndarray, horizon: int, *, speeds=EWMA_SPEEDS) -> np.ndarray:
    """V(h) = h·v, v a weighted mix of exponentially weighted mean squared returns (each
    started at the long-run level) and the long-run level itself."""
    r2 = np.asarray(returns, dtype=float) ** 2
    steps = np.arange(1, horizon + 1)
    if len(r2) == 0:
        return steps * 0.0
    long_run = float(np.mean(r2))
    level = (1 - sum(weight for _, weight in speeds)) * long_run
    for decay, weight in speeds:
        smoothed, _ = lfilter([1 - decay], [1.0, -decay], r2, zi=[decay * long_run])
        level += weight * float(smoothed[-1])
    return steps * level


def combined_variance(returns: np.ndarray, horizon: int) -> np.ndarray:
    """The ensemble's variance: the mean of the GJR-GARCH and the two-speed EWMA forecasts."""
    gjr = garch_variance(returns, horizon, alpha=GJR_ALPHA, beta=GJR_BETA, gamma=GJR_GAMMA)
    return (gjr + ewma_variance(returns, horizon)) / 2


@dataclass(frozen=True)
class VolatilityModel:
    """A forecast of h-step log-price variance from past log returns, and its level scales."""

    name: str
    method: str  # how its intervals are made, shown to users
    variance: Callable[[np.ndarray, int], np.ndarray]  # (log returns, horizon) -> V(1..horizon)
    level_scale: dict[int, float]

    def horizon_variance(self, log_prices: np.ndarray, horizon: int, *, window: int = VARIANCE_WINDOW) -> np.ndarray:
        """V(h) for h = 1..horizon: the variance of the log-price change from the last price."""
        returns = np.diff(np.asarray(log_prices, dtype=float))[-int(window) :]
        return self.variance(returns, horizon)

    def bands(self, log_mean: np.ndarray, prices: np.ndarray, *, window: int = VARIANCE_WINDOW) -> Bands:
        """Bands around a log-price path `log_mean` (steps 1..h) from the history `prices`."""
        log_mean = np.asarray(log_mean, dtype=float)
        variance = self.horizon_variance(np.log(np.asarray(prices, dtype=float)), len(log_mean), window=window)
        half = {level: self.level_scale[level] * Z[level] * np.sqrt(variance) for level in LEVELS}
        return Bands.from_log_offsets(log_mean, half80=half[80], half95=half[95])


GARCH = VolatilityModel(
    name="garch",
    method=(
        f"volatility: GARCH(1,1) forecast of log-return variance (α = {GARCH_ALPHA}, β = {GARCH_BETA}, "
        f"targeting the last {VARIANCE_WINDOW} returns), Gaussian on log prices, fat-tail scaled"
    ),
    variance=garch_variance,
    level_scale={80: 0.94, 95: 1.09},
)
COMBINED = VolatilityModel(
    name="combined",
    method=(
        "volatility: mean of a GJR-GARCH(1,1) (leverage) and a two-speed EWMA forecast of log-return "
        f"variance (targeting the last {VARIANCE_WINDOW} returns), Gaussian on log prices, fat-tail scaled"
    ),
    variance=combined_variance,
    level_scale={80: 0.93, 95: 1.07},
)
VOLATILITY_MODELS = {model.name: model for model in (GARCH, COMBINED)}

# The single models' bands, as names the models import.
METHOD = GARCH.method
LEVEL_SCALE = GARCH.level_scale


def horizon_variance(log_prices: np.ndarray, horizon: int, *, window: int = VARIANCE_WINDOW) -> np.ndarray:
    """The GARCH bands' V(h) for h = 1..horizon from log prices."""
    return GARCH.horizon_variance(log_prices, horizon, window=window)


def volatility_bands(log_mean: np.ndarray, prices: np.ndarray, *, window: int = VARIANCE_WINDOW) -> Bands:
    """The GARCH bands around a log-price path `log_mean` (steps 1..h) from the history `prices`."""
    return GARCH.bands(log_mean, prices, window=window)
