"""The one walk-forward engine: its refit policy, no look-ahead, failures, and the MASE scale."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from models.base import Forecaster
from models.catalog import create_forecaster, forecaster_factory
from models.errors import ForecastInputError, ModelFitError, NotFittedError
from models.intervals import Bands
from models.walk_forward import SharedFits, naive_scale, refit_groups, walk_forward


class _CountingForecaster(Forecaster):
    """Forecasts the mean of the prices its last fit saw, shifted to the newest price; counts
    fits and updates so the policy can be checked."""

    name = "counting"
    min_history = 3
    interval_method = "none"
    default_params: ClassVar[dict] = {}
    fits: ClassVar[list[int]] = []

    def _fit(self, series: pd.Series) -> None:
        type(self).fits.append(len(series))
        self._level = float(series.mean())
        self._last = float(series.iloc[-1])

    def _update(self, series: pd.Series) -> None:
        self._last = float(series.iloc[-1])  # the estimated level is kept

    def _predict(self, horizon: int) -> Bands:
        flat = np.full(horizon, 0.5 * (self._level + self._last))
        return Bands(flat, flat * 0.9, flat * 1.1, flat * 0.8, flat * 1.2)


@pytest.fixture
def counting():
    _CountingForecaster.fits = []
    return _CountingForecaster


ORIGINS = [200, 210, 220, 230, 240, 250, 260]


@pytest.mark.parametrize(
    ("refit", "fitted_at"),
    [(True, ORIGINS), (1, ORIGINS), (3, [200, 230, 260]), (False, [200]), (0, [200])],
)
def test_refit_policy_says_where_the_model_is_estimated(closes, counting, refit, fitted_at) -> None:
    made = walk_forward(closes, counting, ORIGINS, 5, refit=refit)
    assert counting.fits == [origin + 1 for origin in fitted_at]
    assert [m.origin for m in made if m.refitted] == fitted_at
    # Every forecast starts the session after its own origin, fitted or updated.
    assert all(m.frame["date"].iloc[0] > closes.index[m.origin] for m in made)
    assert [m.fitted_at for m in made] == [closes.index[max(f for f in fitted_at if f <= o)] for o in ORIGINS]


def test_a_callable_policy_and_the_groups_a_backtest_runs_in_parallel(closes, counting) -> None:
    walk_forward(closes, counting, ORIGINS, 5, refit=lambda k, date: date.month != closes.index[ORIGINS[0]].month)
    assert counting.fits[0] == ORIGINS[0] + 1 and len(counting.fits) >= 2
    assert refit_groups(7, 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert refit_groups(3, True) == [[0], [1], [2]] and refit_groups(3, False) == [[0, 1, 2]]


def test_an_update_forecasts_as_the_last_fit_moved_to_its_origin_and_sees_no_later_price(closes) -> None:
    factory = forecaster_factory("arima")
    made = walk_forward(closes, factory, [220, 240, 260], 5, refit=False)
    by_hand = create_forecaster("arima").fit(closes.iloc[:221]).update(closes.iloc[:261]).predict(5)
    pd.testing.assert_frame_equal(made[-1].frame, by_hand)
    # Updating the fit in place (no copies) forecasts the same: an update depends on the fit only.
    in_place = walk_forward(closes, factory, [220, 240, 260], 5, refit=False, in_place=True)
    for copied, moved in zip(made, in_place, strict=True):
        pd.testing.assert_frame_equal(copied.frame, moved.frame)
    corrupted = closes.copy()
    corrupted.iloc[241:] *= 2.0
    again = walk_forward(corrupted, factory, [220, 240, 260], 5, refit=False)
    pd.testing.assert_frame_equal(again[1].frame, made[1].frame)
    assert not np.allclose(again[2].frame["mean"], made[2].frame["mean"])


def test_a_sliding_window_trains_on_the_last_prices_only(closes, counting) -> None:
    made = walk_forward(closes, counting, [150, 250], 3, window=100)
    assert counting.fits == [100, 100]
    assert [(m.train_start, m.train_size) for m in made] == [(51, 100), (151, 100)]


class _FailsOnLongHistory(_CountingForecaster):
    name = "fragile"

    def _fit(self, series: pd.Series) -> None:
        if 215 <= len(series) <= 235:
            raise ModelFitError("does not converge")
        super()._fit(series)


def test_a_failed_fit_is_recorded_and_the_next_origin_fits_anew(closes) -> None:
    _FailsOnLongHistory.fits = []
    made = walk_forward(closes, _FailsOnLongHistory, [200, 220, 230, 240], 5, refit=2)
    # 220 is an update of the fit at 200; the refit at 230 fails; 240, an update by the
    # policy, has no usable fit to update and so fits anew.
    assert [m.error is None for m in made] == [True, True, False, True]
    assert made[2].error == "ModelFitError: does not converge" and made[2].frame is None
    assert [m.refitted for m in made] == [True, False, True, True]
    assert _FailsOnLongHistory.fits == [201, 241]
    with pytest.raises(ModelFitError):
        walk_forward(closes, _FailsOnLongHistory, [220], 5, failures=())


def test_naive_scale_is_the_mean_absolute_daily_change() -> None:
    prices = [10.0, 12.0, 11.0, 15.0]
    assert naive_scale(prices) == pytest.approx((2 + 1 + 4) / 3)
    assert naive_scale(prices, window=2) == pytest.approx(4.0)
    assert np.isnan(naive_scale([10.0]))


@pytest.mark.parametrize("name", ["naive", "drift", "arima"])
def test_means_only_keeps_the_mean_column_predict_would_make(closes, name) -> None:
    factory = forecaster_factory(name)
    framed = walk_forward(closes, factory, [220, 240, 260], 5, refit=False)
    points = walk_forward(closes, factory, [220, 240, 260], 5, refit=False, means_only=True)
    for full, point in zip(framed, points, strict=True):
        assert point.frame is None and full.mean is None
        np.testing.assert_array_equal(point.mean, full.frame["mean"].to_numpy())
    with pytest.raises(NotFittedError):
        create_forecaster(name).predict_mean(5)
    with pytest.raises(ForecastInputError):
        create_forecaster(name).fit(closes).predict_mean(0)


def test_shared_fits_fit_once_per_model_and_prices_and_hand_out_copies(closes, counting) -> None:
    fits = SharedFits()
    first = fits.fit(counting(), closes.iloc[:200])
    again = fits.fit(counting(), closes.iloc[:200].copy())
    assert counting.fits == [200] and fits.hits == 1 and again is not first
    pd.testing.assert_frame_equal(again.predict(5), first.predict(5))
    # A copy moved to newer prices leaves the stored fit where it was.
    again.update(closes.iloc[:230])
    pd.testing.assert_frame_equal(fits.fit(counting(), closes.iloc[:200]).predict(5), first.predict(5))
    # Other prices (one more, or the same dates with other values) or other parameters: a new fit.
    fits.fit(counting(), closes.iloc[:201])
    changed = closes.iloc[:200].copy()
    changed.iloc[-1] *= 1.01
    fits.fit(counting(), changed)
    fits.fit(create_forecaster("naive", sigma_window=100), closes.iloc[:200])
    fits.fit(create_forecaster("naive"), closes.iloc[:200])
    assert counting.fits == [200, 201, 200] and fits.hits == 2


def test_walks_sharing_fits_forecast_as_walks_that_fit_and_see_no_later_price(closes) -> None:
    factory = forecaster_factory("arima")
    alone = walk_forward(closes, factory, [220, 240, 260, 270], 5, refit=2)
    fits = SharedFits()
    walk_forward(closes, factory, [220, 240, 260, 270], 5, refit=2, fits=fits)
    shared = walk_forward(closes, factory, [220, 240, 260, 270], 5, refit=2, fits=fits)
    assert fits.hits == 2
    for own, taken in zip(alone, shared, strict=True):
        pd.testing.assert_frame_equal(own.frame, taken.frame)
    # The fits are keyed by the prices they saw: later prices changed, the earlier fit is
    # still the one shared, and forecasts from later origins change.
    corrupted = closes.copy()
    corrupted.iloc[241:] *= 2.0
    again = walk_forward(corrupted, factory, [220, 240, 260, 270], 5, refit=2, fits=fits)
    assert fits.hits == 3
    pd.testing.assert_frame_equal(again[1].frame, alone[1].frame)
    assert not np.allclose(again[3].frame["mean"], alone[3].frame["mean"])
