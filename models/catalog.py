"""Name → forecaster class: the only place that knows which models exist.

Callers create models by name (`create_forecaster("arima", max_p=3)`) and list them
(`list_models()`); nobody else switches on model names. A combination (the ensemble) names
its members in its parameters; the catalog resolves those names into member factories and
hands them to it, as darts' `EnsembleModel` is given its models.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from models.arima import ArimaForecaster
from models.base import Forecaster, read_forecaster_meta, saved_params
from models.ensemble import EnsembleForecaster
from models.errors import ForecastInputError
from models.lstm import LSTMForecaster
from models.naive import DriftForecaster, NaiveForecaster
from models.prophet import ProphetForecaster

FORECASTERS: dict[str, type[Forecaster]] = {
    cls.name: cls
    for cls in (
        NaiveForecaster,
        DriftForecaster,
        ArimaForecaster,
        ProphetForecaster,
        LSTMForecaster,
        EnsembleForecaster,
    )
}


def list_models() -> list[str]:
    """Model names in a stable order: baselines first, the ensemble last."""
    return list(FORECASTERS)


def describe_models() -> list[dict[str, Any]]:
    """For UIs and logs: name, minimum history, interval method and default parameters."""
    return [
        {
            "name": name,
            "min_history": cls.min_history,
            "interval_method": cls.interval_method,
            "default_params": dict(cls.default_params),
        }
        for name, cls in FORECASTERS.items()
    ]


def get_forecaster_class(name: str) -> type[Forecaster]:
    try:
        return FORECASTERS[name]
    except KeyError:
        raise ForecastInputError(f"unknown model {name!r}; known models: {', '.join(FORECASTERS)}") from None


def create_forecaster(name: str, **params: Any) -> Forecaster:
    """A new, unfitted forecaster of the named model (a combination gets its members' factories)."""
    cls = get_forecaster_class(name)
    members = cls.member_specs({**cls.default_params, **params})
    if not members:
        return cls(**params)
    return cls(factories={member: forecaster_factory(member, **p) for member, p in members.items()}, **params)


def load_forecaster(directory: str | Path) -> Forecaster:
    """Load any forecaster written by `Forecaster.save`, whatever its model."""
    cls = get_forecaster_class(read_forecaster_meta(directory)["name"])
    return create_forecaster(cls.name, **saved_params(directory, cls)).restore(directory)


def forecaster_factory(name: str, **params: Any) -> Callable[[], Forecaster]:
    """A picklable zero-argument factory (for backtests running in other processes)."""
    get_forecaster_class(name)  # fail now, not in a worker, on an unknown name
    return partial(create_forecaster, name, **params)
