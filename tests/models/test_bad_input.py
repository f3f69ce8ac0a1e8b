"""Unusable histories fail early with errors that say what is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.catalog import create_forecaster, list_models
from models.errors import (
    ConstantSeriesError,
    ForecastInputError,
    NonPositivePriceError,
    NotFittedError,
    SeriesGapError,
    SeriesTooShortError,
)


@pytest.mark.parametrize("name", list_models())
def test_too_short_names_the_minimum(name: str, closes: pd.Series) -> None:
    forecaster = create_forecaster(name)
    minimum = forecaster.required_history
    with pytest.raises(SeriesTooShortError, match=rf"at least {minimum} daily prices, got {minimum - 1}") as info:
        forecaster.fit(closes.iloc[: minimum - 1])
    assert info.value.minimum == minimum
    assert isinstance(info.value, ValueError)


def test_missing_values_are_refused(closes: pd.Series) -> None:
    broken = closes.copy()
    broken.iloc[10] = np.nan
    with pytest.raises(SeriesGapError, match="missing"):
        create_forecaster("naive").fit(broken)


def test_a_gap_in_dates_is_refused(closes: pd.Series) -> None:
    gappy = pd.concat([closes.iloc[:100], closes.iloc[130:]])
    with pytest.raises(SeriesGapError, match="gap"):
        create_forecaster("drift").fit(gappy)


def test_unsorted_or_duplicate_dates_are_refused(closes: pd.Series) -> None:
    with pytest.raises(SeriesGapError):
        create_forecaster("naive").fit(closes.iloc[::-1])
    with pytest.raises(SeriesGapError):
        create_forecaster("naive").fit(pd.concat([closes, closes.iloc[-1:]]))


def test_constant_series_is_refused(closes: pd.Series) -> None:
    with pytest.raises(ConstantSeriesError):
        create_forecaster("arima").fit(pd.Series(50.0, index=closes.index))


def test_non_positive_prices_are_refused(closes: pd.Series) -> None:
    broken = closes.copy()
    broken.iloc[5] = 0.0
    with pytest.raises(NonPositivePriceError):
        create_forecaster("naive").fit(broken)


def test_history_must_be_a_dated_series() -> None:
    with pytest.raises(ForecastInputError, match="DatetimeIndex"):
        create_forecaster("naive").fit(pd.Series([1.0, 2.0, 3.0]))


def test_horizon_must_be_positive(closes: pd.Series) -> None:
    forecaster = create_forecaster("naive").fit(closes)
    for horizon in (0, -1, 2.5):
        with pytest.raises(ForecastInputError, match="horizon"):
            forecaster.predict(horizon)


def test_predict_before_fit() -> None:
    with pytest.raises(NotFittedError):
        create_forecaster("drift").predict(3)


def test_unknown_parameters_and_models() -> None:
    with pytest.raises(TypeError, match="unknown parameters"):
        create_forecaster("naive", sigma_windw=10)
    with pytest.raises(ForecastInputError, match="unknown model"):
        create_forecaster("crystal-ball")
