"""The contract every catalog forecaster keeps, run on one small real series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.base import FORECAST_COLUMNS
from models.calendar import is_trading_day, next_trading_days
from models.catalog import create_forecaster, list_models, load_forecaster

HORIZON = 7  # crosses a weekend and the 2017 New Year holiday
SLOW = {"arima", "prophet", "lstm", "ensemble"}
# Lighter settings keep the suite fast; the interface is what is under test.
TEST_PARAMS = {"lstm": {"epochs": 5}, "ensemble": {"member_params": {"lstm": {"epochs": 3}}}}


def fitted(name: str, series: pd.Series):
    return create_forecaster(name, **TEST_PARAMS.get(name, {})).fit(series)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in list_models()])
def test_forecaster_contract(name: str, closes: pd.Series, tmp_path) -> None:
    forecaster = fitted(name, closes)
    forecast = forecaster.predict(HORIZON)

    assert list(forecast.columns) == FORECAST_COLUMNS
    assert len(forecast) == HORIZON
    assert not forecast.isna().any().any()
    values = forecast[["lo95", "lo80", "mean", "hi80", "hi95"]].to_numpy()
    assert (np.diff(values, axis=1) >= 0).all(), "intervals must be ordered lo95<=lo80<=mean<=hi80<=hi95"
    assert (forecast["hi95"] > forecast["lo95"]).all()
    assert (forecast["mean"] > 0).all()
    dates = pd.DatetimeIndex(forecast["date"])
    assert is_trading_day(dates).all()
    assert dates.equals(next_trading_days(closes.index[-1], HORIZON))
    assert pd.Timestamp("2017-01-02") not in dates  # New Year observed on Monday
    # Plausible scale: a week ahead stays within 30% of the last price.
    assert np.allclose(forecast["mean"], closes.iloc[-1], rtol=0.3)

    forecaster.save(tmp_path / name)
    reloaded = load_forecaster(tmp_path / name)
    pd.testing.assert_frame_equal(reloaded.predict(HORIZON), forecast)

    again = fitted(name, closes).predict(HORIZON)
    pd.testing.assert_frame_equal(again, forecast, check_exact=True)


@pytest.mark.parametrize("name", list_models())
def test_every_model_states_its_interval_method(name: str) -> None:
    forecaster = create_forecaster(name)
    assert forecaster.interval_method
    assert forecaster.min_history >= 2
    assert forecaster.params == {**type(forecaster).default_params}
