"""Errors the forecasters raise on purpose. `core` wraps them into its own `CoreError` tree.

ForecastError
├── ForecastInputError (ValueError)   the history cannot be forecast as given
│   ├── SeriesTooShortError           fewer observations than the model's minimum
│   ├── SeriesGapError                NaN/inf values, unsorted or duplicate dates, long gaps
│   ├── ConstantSeriesError           every price the same: nothing to learn from
│   └── NonPositivePriceError         a price <= 0 (models work on log prices)
├── NotFittedError (RuntimeError)     predict/save called before fit
└── ModelFitError (RuntimeError)      the algorithm itself failed on valid input
"""

from __future__ import annotations


class ForecastError(Exception):
    """Base of every error raised on purpose by `models`."""


class ForecastInputError(ForecastError, ValueError):
    """The history given to `fit` (or the horizon given to `predict`) is unusable."""


class SeriesTooShortError(ForecastInputError):
    """Fewer observations than `minimum`; the message names both numbers."""

    def __init__(self, model: str, minimum: int, actual: int) -> None:
        super().__init__(f"{model} needs at least {minimum} daily prices, got {actual}")
        self.model = model
        self.minimum = minimum
        self.actual = actual


class SeriesGapError(ForecastInputError):
    pass


class ConstantSeriesError(ForecastInputError):
    pass


class NonPositivePriceError(ForecastInputError):
    pass


class NotFittedError(ForecastError, RuntimeError):
    pass


class ModelFitError(ForecastError, RuntimeError):
    pass
