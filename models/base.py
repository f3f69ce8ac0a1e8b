"""The one interface every forecaster implements.

A forecaster is created with keyword parameters (`params`, JSON-serialisable, logged by
callers), fitted on daily close prices indexed by trading days, and asked for `horizon`
trading days ahead. `predict` returns a frame with columns `date, mean, lo80, hi80, lo95,
hi95`: `mean` is the point forecast (the median in price space for models working on log
prices) and the intervals are central 80% and 95% prediction intervals, always ordered
lo95 <= lo80 <= mean <= hi80 <= hi95. Public methods validate, then call the `_fit`,
`_update`, `_refit` and `_predict` hooks that subclasses write.
"""

from __future__ import annotations

import json
import pickle
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import pandas as pd

from models.calendar import next_trading_days
from models.errors import (
    ConstantSeriesError,
    ForecastInputError,
    ModelFitError,
    NonPositivePriceError,
    NotFittedError,
    SeriesGapError,
    SeriesTooShortError,
)
from models.intervals import Bands

if TYPE_CHECKING:
    from models.walk_forward import SharedFits

FORECAST_COLUMNS = ["date", "mean", "lo80", "hi80", "lo95", "hi95"]
MAX_GAP_DAYS = 10  # calendar days between observations; longer means missing sessions
_META_FILE, _STATE_FILE = "forecaster.json", "state.pkl"


def validate_history(history: pd.Series, *, model: str, minimum: int) -> pd.Series:
    """Return `history` as a clean float series, or raise a `ForecastInputError` subclass."""
    if not isinstance(history, pd.Series) or not isinstance(history.index, pd.DatetimeIndex):
        raise ForecastInputError("history must be a pandas Series indexed by a DatetimeIndex")
    series = history.astype(float)
    if series.index.tz is not None:
        series.index = series.index.tz_localize(None)
    if not np.isfinite(series.to_numpy()).all():
        raise SeriesGapError(f"history has {int((~np.isfinite(series.to_numpy())).sum())} missing or infinite prices")
    if not series.index.is_monotonic_increasing or series.index.has_duplicates:
        raise SeriesGapError("history dates must be strictly increasing (sorted, no duplicates)")
    if len(series) < minimum:
        raise SeriesTooShortError(model, minimum, len(series))
    gaps = np.diff(series.index.normalize().asi8) // (86_400 * 10**9)
    if len(gaps) and gaps.max() > MAX_GAP_DAYS:
        where = series.index[int(gaps.argmax()) + 1].date()
        raise SeriesGapError(
            f"history has a gap of {int(gaps.max())} days before {where}; "
            f"at most {MAX_GAP_DAYS} calendar days between prices are allowed"
        )
    if (series <= 0).any():
        raise NonPositivePriceError("prices must be positive (models work on log prices)")
    if series.nunique() == 1:
        raise ConstantSeriesError(f"history is constant at {series.iloc[0]}: nothing to forecast from")
    series.name = "close"
    return series


@dataclass(frozen=True)
class MemberWeight:
    """How a combination uses one of its members: its weight (0 when dropped), its error on the
    combination's inner backtest (MASE; None when it never forecast there) and, for a member
    that carries no weight, why (a short phrase, no figures)."""

    name: str
    weight: float
    inner_mase: float | None
    dropped: str | None = None


class Forecaster(ABC):
    """Base class: `fit(history) -> self`, `predict(horizon) -> frame`, `save`/`load`.

    Subclasses set `name`, `min_history` (the fewest prices `fit` accepts with default
    parameters), `interval_method` (how intervals are made, shown to users) and
    `default_params`; they implement `_fit(series)` and `_predict(horizon) -> Bands`, and
    may implement `_update(series)` to condition on newer data without re-estimating.
    """

    name: ClassVar[str]
    min_history: ClassVar[int]
    interval_method: ClassVar[str]
    default_params: ClassVar[dict[str, Any]] = {}
    relative_cost: ClassVar[float] = 1.0  # scheduling hint for parallel backtests
    # Parameters older versions had: ignored when loading a forecaster saved by them.
    retired_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.default_params))
        if unknown:
            raise TypeError(f"{self.name} got unknown parameters {unknown}; known: {sorted(self.default_params)}")
        self.params: dict[str, Any] = {**self.default_params, **params}
        self._history: pd.Series | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"

    @property
    def required_history(self) -> int:
        """The fewest prices this instance accepts (may depend on its parameters)."""
        return self.min_history

    @property
    def is_fitted(self) -> bool:
        return self._history is not None

    @classmethod
    def member_specs(cls, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The members a combination with these parameters combines (name → parameters), for
        the catalog to build their factories; none for a single model."""
        return {}

    @property
    def fitted_members(self) -> dict[str, Forecaster]:
        """The fitted forecasters this one combines (name → member); none for a single model."""
        return {}

    @property
    def member_weights(self) -> list[MemberWeight]:
        """Every member this forecaster was asked to combine, used or dropped; none for a
        single model. Available once fitted."""
        return []

    def share_fits(self, fits: SharedFits | None) -> Self:
        """Let a combination take fits of its members from `fits` (`models.walk_forward`)
        where they are the fits it would make, until called again with None (`SharedFits`
        lends itself for one fit); a single model has none to take. Returns self."""
        return self

    @property
    def refits_from_scratch(self) -> bool:
        """Whether `refit` is a plain `fit` (no structural choice of an earlier fit kept), so
        that a fit of the same model on the same prices may stand in for it."""
        return type(self)._refit is Forecaster._refit

    @property
    def history(self) -> pd.Series:
        if self._history is None:
            raise NotFittedError(f"{self.name} is not fitted yet")
        return self._history

    def fit(self, history: pd.Series) -> Self:
        """Estimate the model on `history` (daily closes on trading days); returns self."""
        series = validate_history(history, model=self.name, minimum=self.required_history)
        self._fit(series)
        self._history = series
        return self

    def update(self, history: pd.Series) -> Self:
        """Condition on `history` (usually the fitted history plus newer prices), keeping
        the estimated parameters where the model allows; otherwise refits. Returns self."""
        if not self.is_fitted:
            return self.fit(history)
        series = validate_history(history, model=self.name, minimum=self.required_history)
        self._update(series)
        self._history = series
        return self

    def refit(self, history: pd.Series) -> Self:
        """Re-estimate on `history`, keeping structural choices made by the first fit (such as
        ARIMA's order) where the model has any; otherwise a full fit. Returns self."""
        if not self.is_fitted:
            return self.fit(history)
        series = validate_history(history, model=self.name, minimum=self.required_history)
        self._refit(series)
        self._history = series
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        """Forecast `horizon` trading days after the last fitted date."""
        horizon = _checked_horizon(horizon)
        history = self.history
        bands = self._predict(horizon)
        return frame_from_bands(bands, next_trading_days(history.index[-1], horizon))

    def predict_mean(self, horizon: int) -> np.ndarray:
        """The point forecast alone: the values of the `mean` column `predict(horizon)` returns
        (it fails where `predict` would), without dates or a frame — for callers that score
        point paths only, such as an inner backtest, where building frames cost more than
        forecasting."""
        horizon = _checked_horizon(horizon)
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted yet")
        bands = self._predict(horizon)
        if not all(np.isfinite(getattr(bands, band.name)).all() for band in fields(bands)):
            raise ModelFitError("forecast contains non-finite values")
        return np.asarray(bands.mean, dtype=float)

    def _update(self, series: pd.Series) -> None:
        self._fit(series)

    def _refit(self, series: pd.Series) -> None:
        self._fit(series)

    @abstractmethod
    def _fit(self, series: pd.Series) -> None: ...

    @abstractmethod
    def _predict(self, horizon: int) -> Bands: ...

    # Persistence: parameters as JSON, fitted state pickled (load only trusted directories).
    def save(self, directory: str | Path) -> Path:
        """Write the fitted forecaster under `directory` (created if needed)."""
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} must be fitted before saving")
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        meta = {"name": self.name, "class": type(self).__name__, "params": self.params}
        (path / _META_FILE).write_text(json.dumps(meta, indent=2, default=str))
        self._save_state(path)
        return path

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        """Read a forecaster written by `save`; `cls` must be the class that saved it (a
        combination needs its members' factories: load it with `models.catalog.load_forecaster`)."""
        return cls(**saved_params(directory, cls)).restore(directory)

    def restore(self, directory: str | Path) -> Self:
        """Fill this unfitted forecaster (same model and parameters) with the state `save`
        wrote under `directory`; returns self."""
        path = Path(directory)
        meta = read_forecaster_meta(path)
        if meta["name"] != self.name:
            raise ForecastInputError(f"{path} holds a {meta['name']!r} forecaster, not {self.name!r}")
        self._load_state(path)
        return self

    def _save_state(self, path: Path) -> None:
        state = {key: value for key, value in self.__dict__.items() if key != "params"}
        with open(path / _STATE_FILE, "wb") as handle:
            pickle.dump(state, handle)

    def _load_state(self, path: Path) -> None:
        with open(path / _STATE_FILE, "rb") as handle:
            self.__dict__.update(pickle.load(handle))


def _checked_horizon(horizon: int) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ForecastInputError(f"horizon must be a positive integer, got {horizon!r}")
    return int(horizon)


def read_forecaster_meta(directory: str | Path) -> dict[str, Any]:
    """The name and parameters a saved forecaster was created with."""
    return json.loads((Path(directory) / _META_FILE).read_text())


def saved_params(directory: str | Path, cls: type[Forecaster]) -> dict[str, Any]:
    """The parameters a saved forecaster was created with, less those its class retired."""
    return {k: v for k, v in read_forecaster_meta(directory)["params"].items() if k not in cls.retired_params}


def frame_from_bands(bands: Bands, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The public forecast frame, with the interval order enforced against rounding."""
    mean = np.asarray(bands.mean, dtype=float)
    lo80 = np.minimum(bands.lo80, mean)
    hi80 = np.maximum(bands.hi80, mean)
    frame = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(dates),
            "mean": mean,
            "lo80": lo80,
            "hi80": hi80,
            "lo95": np.minimum(bands.lo95, lo80),
            "hi95": np.maximum(bands.hi95, hi80),
        }
    )
    if not np.isfinite(frame[FORECAST_COLUMNS[1:]].to_numpy()).all():
        raise ModelFitError("forecast contains non-finite values")
    return frame
