"""Portfolio projection: the distribution of a portfolio's value `horizon` sessions ahead.

Each member's forecast gives its centre (log of `mean`) and spread (the 95% interval's log
width / (2 · 1.96)) at the horizon. Joint behaviour comes from history: a scenario sums
`horizon` daily log-return vectors drawn with replacement from the same past dates for all
members (keeping their cross-correlation and fat tails), standardised per member, then
rescaled to that member's forecast centre and spread. Value = cash + Σ shares · price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.errors import InsufficientHistoryError, InvalidInputError
from models.intervals import Z95

QUANTILES = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99)


@dataclass(frozen=True)
class PortfolioProjection:
    """Value today, value quantiles at the horizon, and tail risk as positive losses."""

    horizon: int
    current_value: float
    quantiles: dict[float, float]
    value_at_risk: float
    expected_shortfall: float
    confidence: float
    paths: int

    def as_dict(self) -> dict:
        return {
            "horizon": self.horizon,
            "current_value": self.current_value,
            "quantiles": {str(q): v for q, v in self.quantiles.items()},
            "value_at_risk": self.value_at_risk,
            "expected_shortfall": self.expected_shortfall,
            "confidence": self.confidence,
            "paths": self.paths,
        }


def project_portfolio(
    histories: Mapping[str, pd.Series],
    forecasts: Mapping[str, pd.DataFrame],
    shares: Mapping[str, float],
    *,
    cash: float = 0.0,
    confidence: float = 0.95,
    paths: int = 10_000,
    lookback: int = 750,
    seed: int = 0,
) -> PortfolioProjection:
    """Simulate the portfolio value at the forecasts' last date.

    `histories`: close prices per ticker (aligned on common dates); `forecasts`: each ticker's
    `Forecaster.predict` frame, all of the same horizon; `shares`: quantity held per ticker.
    """
    tickers = [t for t, q in shares.items() if q]
    missing = [t for t in tickers if t not in histories or t not in forecasts]
    if missing:
        raise InvalidInputError(f"no history or forecast for {', '.join(missing)}")
    if not 0.5 < confidence < 1:
        raise InvalidInputError("confidence must be between 0.5 and 1")
    horizon = {len(forecasts[t]) for t in tickers}
    if len(horizon) > 1:
        raise InvalidInputError("all forecasts must have the same horizon")
    horizon = horizon.pop() if horizon else 1
    prices = pd.DataFrame({t: histories[t] for t in tickers}).dropna().iloc[-(lookback + 1) :]
    if len(prices) < 30:
        raise InsufficientHistoryError(f"projection needs at least 30 common dates, got {len(prices)}")
    last = prices.iloc[-1].to_numpy()
    quantity = np.array([float(shares[t]) for t in tickers])
    current = float(cash + quantity @ last)
    scenarios = _standardised_scenarios(np.diff(np.log(prices.to_numpy()), axis=0), horizon, paths, seed)
    centre = np.array([np.log(forecasts[t]["mean"].iloc[-1] / prices[t].iloc[-1]) for t in tickers])
    spread = np.array(
        [np.log(forecasts[t]["hi95"].iloc[-1] / forecasts[t]["lo95"].iloc[-1]) / (2 * Z95) for t in tickers]
    )
    values = cash + (last * np.exp(centre + spread * scenarios)) @ quantity
    losses = current - values
    var = float(np.quantile(losses, confidence))
    tail = losses[losses >= var]
    return PortfolioProjection(
        horizon=horizon,
        current_value=current,
        quantiles={q: float(np.quantile(values, q)) for q in QUANTILES},
        value_at_risk=var,
        expected_shortfall=float(tail.mean()) if tail.size else var,
        confidence=confidence,
        paths=paths,
    )


def _standardised_scenarios(returns: np.ndarray, horizon: int, paths: int, seed: int) -> np.ndarray:
    """(paths, members) sums of `horizon` joint daily returns, each member at mean 0, sd 1."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, len(returns), size=(paths, horizon))
    sums = returns[days].sum(axis=1)
    sd = returns.std(axis=0, ddof=1) * np.sqrt(horizon)
    return (sums - horizon * returns.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
