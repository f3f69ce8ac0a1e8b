"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.forecasting import metrics

ACTUAL = [10.0, 12.0, 11.0, 13.0]
FORECAST = [11.0, 11.0, 11.0, 11.0]  # errors -1, 1, 0, 2


def test_point_metrics() -> None:
    assert metrics.mae(ACTUAL, FORECAST) == pytest.approx(1.0)  # (1+1+0+2)/4
    assert metrics.rmse(ACTUAL, FORECAST) == pytest.approx(math.sqrt(1.5))  # (1+1+0+4)/4
    assert metrics.mape(ACTUAL, FORECAST) == pytest.approx(100 * (0.1 + 1 / 12 + 0 + 2 / 13) / 4)
    assert metrics.smape(ACTUAL, FORECAST) == pytest.approx(200 * (1 / 21 + 1 / 23 + 0 + 2 / 24) / 4)


def test_mase_is_scaled_by_insample_one_step_naive_mae() -> None:
    insample = [8.0, 9.0, 11.0, 10.0]  # |diffs| 1, 2, 1 → scale 4/3
    assert metrics.naive_scale(insample) == pytest.approx(4 / 3)
    assert metrics.mase(ACTUAL, FORECAST, insample) == pytest.approx(1.0 / (4 / 3))


def test_directional_accuracy_counts_flat_forecasts_as_half() -> None:
    # last 10: actual moves +, +, +, -; forecasts +, -, 0, -
    assert metrics.directional_accuracy([11, 12, 13, 9], [12, 9, 10, 8], 10) == pytest.approx((1 + 0 + 0.5 + 1) / 4)


def test_interval_metrics() -> None:
    lower, upper = [9.0, 9.0, 9.0, 9.0], [11.0, 11.0, 12.0, 12.0]
    # 10 in, 12 above (by 1), 11 in, 13 above (by 1)
    assert metrics.coverage(ACTUAL, lower, upper) == pytest.approx(0.5)
    assert metrics.mean_interval_width(lower, upper) == pytest.approx(2.5)
    assert metrics.winkler_score(ACTUAL, lower, upper, alpha=0.2) == pytest.approx(2.5 + (10 + 10) / 4)


def test_skill_vs_naive() -> None:
    assert metrics.skill_vs_naive(0.9, 1.0) == pytest.approx(0.1)
    assert metrics.skill_vs_naive(1.2, 1.0) == pytest.approx(-0.2)


def test_diebold_mariano_hand_computed() -> None:
    e1 = np.array([1.0, -2.0, 1.5, -0.5, 2.0, -1.0])
    e2 = np.array([0.5, -1.0, 1.0, -1.0, 1.0, -0.5])
    d = np.abs(e1) - np.abs(e2)  # 0.5, 1, 0.5, -0.5, 1, 0.5 → mean 0.5
    n = 6
    variance = np.mean((d - d.mean()) ** 2) / n
    statistic = d.mean() / math.sqrt(variance) * math.sqrt((n + 1 - 2 + 0) / n)
    from scipy import stats

    expected = 2 * stats.t.sf(statistic, df=n - 1)
    assert metrics.diebold_mariano_pvalue(e1, e2, horizon=1) == pytest.approx(expected)
    assert math.isnan(metrics.diebold_mariano_pvalue(e1, e1))
