"""The ensemble learns its weights from its own history only, and survives failing members."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from models import catalog
from models.base import Forecaster
from models.catalog import create_forecaster
from models.errors import ModelFitError

FAST = {"members": ["naive", "drift", "arima"], "inner_folds": 4, "trim_worse_than_naive": False}


def test_weights_are_normalised_and_favour_the_more_accurate(closes: pd.Series) -> None:
    ensemble = create_forecaster("ensemble", **FAST).fit(closes)
    assert set(ensemble.weights) == {"naive", "drift", "arima"}
    assert sum(ensemble.weights.values()) == pytest.approx(1.0)
    best = min(ensemble.inner_mase, key=ensemble.inner_mase.get)
    assert ensemble.weights[best] == max(ensemble.weights.values())


def test_members_worse_than_naive_get_no_weight(closes: pd.Series) -> None:
    ensemble = create_forecaster("ensemble", members=["naive", "drift", "arima"], inner_folds=6).fit(closes)
    naive = ensemble.inner_mase["naive"]
    assert set(ensemble.weights) == {name for name, mase in ensemble.inner_mase.items() if mase <= naive}
    assert "naive" in ensemble.weights


def test_inner_backtest_uses_only_the_fitted_history(closes: pd.Series) -> None:
    origin = len(closes) - 40
    history = closes.iloc[:origin]
    ensemble = create_forecaster("ensemble", **FAST).fit(history)
    horizon = ensemble.params["inner_horizon"]
    last_inner_target = closes.index[closes.index.get_loc(ensemble.inner_origins[-1]) + horizon]
    assert last_inner_target == history.index[-1]

    # Whatever happens after the origin cannot change what was learned before it.
    corrupted = closes.copy()
    corrupted.iloc[origin:] *= 3.0
    again = create_forecaster("ensemble", **FAST).fit(corrupted.iloc[:origin])
    assert again.weights == ensemble.weights
    pd.testing.assert_frame_equal(again.predict(horizon), ensemble.predict(horizon))


def test_user_weights_are_used(closes: pd.Series) -> None:
    ensemble = create_forecaster("ensemble", weights={"naive": 3.0, "drift": 1.0}).fit(closes)
    assert ensemble.weights == {"naive": 0.75, "drift": 0.25}
    naive = create_forecaster("naive").fit(closes).predict(3)["mean"].to_numpy()
    drift = create_forecaster("drift").fit(closes).predict(3)["mean"].to_numpy()
    expected = np.exp(0.75 * np.log(naive) + 0.25 * np.log(drift))
    np.testing.assert_allclose(ensemble.predict(3)["mean"], expected)


class _BrokenForecaster(Forecaster):
    name = "broken"
    min_history = 3
    interval_method = "none"
    default_params: ClassVar[dict] = {}

    def _fit(self, series: pd.Series) -> None:
        raise ModelFitError("this member never converges")

    def _predict(self, horizon: int):
        raise AssertionError("unreachable")


def test_a_failing_member_is_dropped(closes: pd.Series, monkeypatch, caplog) -> None:
    monkeypatch.setitem(catalog.FORECASTERS, "broken", _BrokenForecaster)
    ensemble = create_forecaster(
        "ensemble", members=["naive", "broken", "drift"], inner_folds=3, trim_worse_than_naive=False
    ).fit(closes)
    assert set(ensemble.weights) == {"naive", "drift"}
    assert "broken failed" in caplog.text
    assert len(ensemble.predict(5)) == 5
    with pytest.raises(ModelFitError, match="every ensemble member failed"):
        create_forecaster("ensemble", members=["broken"], inner_folds=3).fit(closes)


def test_update_moves_the_members_to_newer_prices_and_keeps_the_weights(closes: pd.Series) -> None:
    ensemble = create_forecaster("ensemble", **FAST).fit(closes.iloc[:-20])
    weights, factors = dict(ensemble.weights), dict(ensemble.conformal_factors)
    arima_params = ensemble.fitted_members["arima"]._result.params.copy()
    ensemble.update(closes)
    assert ensemble.weights == weights and ensemble.conformal_factors == factors
    assert ensemble.history.index[-1] == closes.index[-1]
    assert all(member.history.index[-1] == closes.index[-1] for member in ensemble.fitted_members.values())
    np.testing.assert_array_equal(ensemble.fitted_members["arima"]._result.params, arima_params)
    assert ensemble.predict(3)["date"].iloc[0] > closes.index[-1]
    # The naive member, refitted by its own update, now starts from the newest close.
    assert ensemble.fitted_members["naive"].predict(1)["mean"].iloc[0] == closes.iloc[-1]
