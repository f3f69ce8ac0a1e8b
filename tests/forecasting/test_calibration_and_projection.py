from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.forecasting.calibration import apply_interval_calibration, fit_interval_calibration, interval_method
from core.forecasting.projection import project_portfolio
from models.catalog import create_forecaster


def _backtest_rows(half_width: float, n: int = 2000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    actual = 100 * np.exp(rng.normal(0, 0.02, n))
    mean = np.full(n, 100.0)
    return pd.DataFrame(
        {
            "model": "toy",
            "actual": actual,
            "mean": mean,
            "lo80": mean * np.exp(-half_width),
            "hi80": mean * np.exp(half_width),
            "lo95": mean * np.exp(-1.5 * half_width),
            "hi95": mean * np.exp(1.5 * half_width),
        }
    )


def test_miscalibrated_intervals_are_rescaled_to_nominal() -> None:
    rows = _backtest_rows(half_width=0.01)  # far too narrow for sd 0.02
    calibration = fit_interval_calibration(rows, "toy")
    assert calibration.coverage_before[80] < 0.75 and calibration.factors[80] > 2
    assert "conformal" in calibration.method
    fixed = apply_interval_calibration(rows, calibration)
    for level in (80, 95):
        covered = ((fixed["actual"] >= fixed[f"lo{level}"]) & (fixed["actual"] <= fixed[f"hi{level}"])).mean()
        assert covered == pytest.approx(level / 100, abs=0.02)


def test_calibrated_intervals_are_left_alone() -> None:
    rows = _backtest_rows(half_width=0.02 * 1.2816)
    calibration = fit_interval_calibration(rows, "toy")
    assert calibration.factors[80] == 1.0
    with pytest.raises(InvalidInputError):
        fit_interval_calibration(rows.head(5), "toy")


def test_interval_method_comes_from_the_catalog() -> None:
    assert interval_method("arima").startswith("volatility")


def test_portfolio_projection(histories: dict[str, pd.Series]) -> None:
    forecasts = {t: create_forecaster("drift").fit(s).predict(10) for t, s in histories.items()}
    shares = {"AAPL": 10, "JPM": 20}
    result = project_portfolio(histories, forecasts, shares, cash=500.0, paths=4000, seed=3)
    current = 500 + 10 * histories["AAPL"].iloc[-1] + 20 * histories["JPM"].iloc[-1]
    assert result.current_value == pytest.approx(current)
    values = list(result.quantiles.values())
    assert values == sorted(values)
    assert 0 < result.value_at_risk <= result.expected_shortfall < current
    assert result.quantiles[0.5] == pytest.approx(current, rel=0.05)
    again = project_portfolio(histories, forecasts, shares, cash=500.0, paths=4000, seed=3)
    assert again == result
    with pytest.raises(InvalidInputError):
        project_portfolio(histories, forecasts, {"MSFT": 1})
