"""The ensemble learns its weights from its own history only, and survives failing members."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from models import catalog
from models.base import Forecaster
from models.catalog import create_forecaster
from models.errors import ForecastInputError, ModelFitError

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


def test_the_ensemble_bands_are_the_combined_variance_around_its_path(closes: pd.Series) -> None:
    from models.volatility import COMBINED

    ensemble = create_forecaster("ensemble", weights={"naive": 1.0}).fit(closes)
    forecast = ensemble.predict(5)
    bands = COMBINED.bands(np.log(forecast["mean"].to_numpy()), closes.to_numpy())
    for column in ("lo80", "hi80", "lo95", "hi95"):
        np.testing.assert_allclose(forecast[column], getattr(bands, column))
    # The naive model alone uses the single models' GARCH bands: same centre, other widths.
    naive = create_forecaster("naive").fit(closes).predict(5)
    np.testing.assert_allclose(forecast["mean"], naive["mean"])
    assert not np.allclose(forecast["hi95"], naive["hi95"])
    assert ensemble.interval_method == COMBINED.method


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
    weights = dict(ensemble.weights)
    arima_params = dict(ensemble.fitted_members["arima"].coefficients)
    ensemble.update(closes)
    assert ensemble.weights == weights
    assert ensemble.history.index[-1] == closes.index[-1]
    assert all(member.history.index[-1] == closes.index[-1] for member in ensemble.fitted_members.values())
    assert ensemble.fitted_members["arima"].coefficients == arima_params
    assert ensemble.predict(3)["date"].iloc[0] > closes.index[-1]
    # The naive member, refitted by its own update, now starts from the newest close.
    assert ensemble.fitted_members["naive"].predict(1)["mean"].iloc[0] == closes.iloc[-1]


def test_member_weights_show_every_member_its_weight_and_why_it_was_dropped(closes: pd.Series, monkeypatch) -> None:
    monkeypatch.setitem(catalog.FORECASTERS, "broken", _BrokenForecaster)
    ensemble = create_forecaster("ensemble", members=["naive", "broken", "drift", "arima"], inner_folds=6).fit(closes)
    report = {member.name: member for member in ensemble.member_weights}
    assert list(report) == ["naive", "broken", "drift", "arima"]
    assert report["broken"].weight == 0.0 and report["broken"].inner_mase is None
    assert report["broken"].dropped == "failed to fit: ModelFitError: this member never converges"
    naive = ensemble.inner_mase["naive"]
    for name in ("drift", "arima"):
        member = report[name]
        assert member.inner_mase == ensemble.inner_mase[name]
        if member.inner_mase > naive:
            assert member.weight == 0.0 and member.dropped == "worse than naive on the inner backtest"
        else:
            assert member.weight == pytest.approx(ensemble.weights[name]) and member.dropped is None
    assert sum(m.weight for m in report.values()) == pytest.approx(1.0)
    # By hand: a zero weight is a drop too, and the others share the rest in proportion.
    by_hand = create_forecaster("ensemble", weights={"naive": 0.0, "drift": 2.0, "arima": 2.0}).fit(closes)
    shares = {m.name: (m.weight, m.dropped) for m in by_hand.member_weights}
    assert shares == {"naive": (0.0, "weight set to zero by hand"), "drift": (0.5, None), "arima": (0.5, None)}
    assert create_forecaster("naive").fit(closes).member_weights == []


def test_the_ensemble_takes_member_factories_and_needs_no_catalog(closes: pd.Series) -> None:
    from models.ensemble import EnsembleForecaster
    from models.naive import DriftForecaster, NaiveForecaster

    class _HalfwayForecaster(NaiveForecaster):
        name = "halfway"  # in no catalog: only its factory is given

    factories = {"naive": NaiveForecaster, "mine": _HalfwayForecaster, "drift": DriftForecaster}
    ensemble = EnsembleForecaster(factories=factories, members=list(factories), inner_folds=3).fit(closes)
    assert {m.name for m in ensemble.member_weights} == {"naive", "mine", "drift"}
    assert ensemble.fitted_members["naive"].history.index[-1] == closes.index[-1]
    with pytest.raises(ForecastInputError, match="no factory for member"):
        EnsembleForecaster(members=["naive", "arima"])


def test_a_saved_ensemble_loads_through_the_catalog_and_forecasts_the_same(closes: pd.Series, tmp_path) -> None:
    ensemble = create_forecaster("ensemble", **FAST).fit(closes)
    loaded = catalog.load_forecaster(ensemble.save(tmp_path / "ensemble"))
    assert loaded.weights == ensemble.weights
    pd.testing.assert_frame_equal(loaded.predict(5), ensemble.predict(5))


@pytest.mark.slow
def test_members_taken_from_shared_fits_are_the_fits_the_ensemble_would_make(closes: pd.Series) -> None:
    from models.walk_forward import SharedFits

    params = {
        "members": ["naive", "drift", "arima", "lstm"],
        "member_params": {"lstm": {"epochs": 3}},
        "inner_folds": 4,
        "trim_worse_than_naive": False,
    }
    history = closes.iloc[:-10]
    alone = create_forecaster("ensemble", **params).fit(history)
    fits = SharedFits()
    singles = {name: fits.fit(create_forecaster(name), history) for name in ("naive", "drift", "arima")}
    singles["lstm"] = fits.fit(create_forecaster("lstm", epochs=3), history)
    shared = fits.fit(create_forecaster("ensemble", **params), history)
    # naive, drift and the LSTM refit from scratch: their fits are taken; ARIMA's refit keeps
    # the order its inner fit chose, so it is made by the ensemble.
    assert fits.hits == 3
    assert shared.weights == alone.weights and shared.inner_mase == alone.inner_mase
    pd.testing.assert_frame_equal(shared.predict(5), alone.predict(5))
    lstm = shared.fitted_members["lstm"]
    assert lstm is not singles["lstm"] and lstm.history.index[-1] == history.index[-1]
    np.testing.assert_array_equal(lstm.predict_mean(5), singles["lstm"].predict_mean(5))
    assert shared._shared is None  # a fitted ensemble holds no cache (saved, copied, pickled)
    too_short = create_forecaster("ensemble", **params)
    with pytest.raises(ForecastInputError):
        fits.fit(too_short, history.iloc[:50])
    assert too_short._shared is None  # lent for one fit, even one that fails
