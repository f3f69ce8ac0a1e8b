"""The one walk-forward engine: forecasts from successive origins of one series.

Every rolling-origin loop of the project runs through `walk_forward` (the backtest, the replay
and the ensemble's inner backtest). At each origin the forecaster sees the prices up to that
origin only (expanding from `train_start`, or the last `window` prices) and forecasts the
next `horizon` sessions. The refit policy says when the model is estimated anew, as darts'
`historical_forecasts(retrain=…)` and statsforecast's `cross_validation(refit=…)` do:

- `True` (or 1): a fresh forecaster is fitted at every origin;
- an integer k > 1: fitted at origins 0, k, 2k, …, and at the origins between, the last fit is
  conditioned on the newer prices with `Forecaster.update` (estimated parameters kept; a model
  without a cheaper update refits there, which for the baselines costs nothing);
- `False` (or 0): fitted at the first origin only, updated at every later one;
- a callable `(k, origin date) -> bool`: fitted where it answers True (and at the first origin).

Each update starts again from a copy of the last fit, so a forecast depends only on the prices
its fit saw and the prices up to its own origin — never on the forecasts made in between
(`in_place=True` skips the copies, for callers that keep nothing but the last forecaster;
`means_only=True` keeps the point path alone, `Forecaster.predict_mean`, for callers that
score nothing else: the ensemble's inner backtest).
An origin whose fit, update or forecast fails is recorded with its error (`failures`); the
next origin fits anew when there is no usable fit. `naive_scale` is the one MASE scale.

`SharedFits` makes a fit once for walks that need the same one: a fit is keyed by model,
parameters and every training price and date, so it is only ever reused for exactly the prices
it saw, and since the models are deterministic (the LSTM on CPU) the copy is the fit the
caller would have made. A backtest of the ensemble beside the single models it combines
passes one to those walks: the ensemble's members refitted on an origin's prices are then
copies of the single models' fits there.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from models.base import Forecaster
from models.errors import ForecastError, ForecastInputError

ForecasterFactory = Callable[[], Forecaster]
Refit = bool | int | Callable[[int, pd.Timestamp], bool]
# What a fold may raise without stopping the walk (numerical and input trouble).
FAILURES: tuple[type[BaseException], ...] = (ForecastError, ValueError, ArithmeticError, RuntimeError)


def naive_scale(prices: ArrayLike, window: int | None = None) -> float:
    """The MASE scale: the mean absolute one-step change of `prices` (the in-sample MAE of the
    naive forecast), over the last `window` prices when given. NaN with fewer than 2 prices."""
    values = np.asarray(prices, dtype=float)
    if window is not None:
        values = values[-int(window) :]
    if len(values) < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(values))))


@dataclass
class OriginForecast:
    """What the engine made at one origin (positions index the series given to it)."""

    origin: int  # position of the last training price
    origin_date: pd.Timestamp
    train_start: int  # position of the first training price
    refitted: bool  # estimated anew here (else conditioned on newer prices with `update`)
    fitted_at: pd.Timestamp | None  # origin of the fit this forecast comes from
    frame: pd.DataFrame | None  # date, mean, lo80, hi80, lo95, hi95; None when it failed or means_only
    fit_seconds: float  # seconds to fit, or to update, here
    predict_seconds: float
    error: str | None = None
    observed: Any = None  # what `observe(forecaster, horizon)` returned here
    mean: np.ndarray | None = None  # the point path alone, with means_only (None when it failed)

    @property
    def train_size(self) -> int:
        return self.origin + 1 - self.train_start


class SharedFits:
    """Fitted forecasters by model, parameters and training prices, each fitted once and handed
    out as copies (a caller may update its copy without touching anyone else's)."""

    def __init__(self) -> None:
        self._fits: dict[tuple, Forecaster] = {}
        self.hits = 0

    def fit(self, forecaster: Forecaster, history: pd.Series) -> Forecaster:
        """`forecaster` fitted on `history`, or a copy of the same model's fit on the same
        prices made earlier. A combination may take its members' fits from here too."""
        key = _fit_key(forecaster, history)
        made = self._fits.get(key)
        if made is not None:
            self.hits += 1
            return copy.deepcopy(made)
        try:
            fitted = forecaster.share_fits(self).fit(history)
        finally:
            forecaster.share_fits(None)  # lent for this fit only: a fitted model holds no cache
        self._fits[key] = copy.deepcopy(fitted)
        return fitted


def _fit_key(forecaster: Forecaster, history: pd.Series) -> tuple:
    values = np.ascontiguousarray(history.to_numpy(), dtype=float)
    dates = history.index.asi8
    return (
        type(forecaster).__module__,
        type(forecaster).__qualname__,
        json.dumps(forecaster.params, sort_keys=True, default=str),
        hashlib.blake2b(values.tobytes() + np.ascontiguousarray(dates).tobytes(), digest_size=16).digest(),
    )


def refit_here(refit: Refit, k: int, origin_date: pd.Timestamp) -> bool:
    """Whether the policy `refit` estimates the model anew at the k-th origin (0-based)."""
    if k == 0:
        return True
    if callable(refit):
        return bool(refit(k, origin_date))
    if isinstance(refit, bool):
        return refit
    every = int(refit)
    if every < 0:
        raise ForecastInputError(f"refit must be a bool, a positive integer or 0, not {refit!r}")
    return every > 0 and k % every == 0


def refit_groups(n_origins: int, refit: bool | int) -> list[list[int]]:
    """Origin indices grouped by the fit they use: each group is one fit then updates. Groups
    are independent, so a caller may run them in parallel (`walk_forward` with `refit=False`)."""
    groups: list[list[int]] = []
    for k in range(n_origins):
        if refit_here(refit, k, pd.NaT):
            groups.append([])
        groups[-1].append(k)
    return groups


def walk_forward(
    series: pd.Series,
    factory: ForecasterFactory,
    origins: Sequence[int],
    horizon: int,
    *,
    refit: Refit = True,
    window: int | None = None,
    train_start: int = 0,
    observe: Callable[[Forecaster, int], Any] | None = None,
    failures: tuple[type[BaseException], ...] = FAILURES,
    in_place: bool = False,
    means_only: bool = False,
    fits: SharedFits | None = None,
) -> list[OriginForecast]:
    """Forecast `horizon` steps from each origin position in `origins` (increasing).

    Training prices at an origin: positions [max(train_start, origin + 1 − window), origin].
    `observe(forecaster, horizon)`, when given, is called with the forecaster that made each
    forecast (e.g. to collect an ensemble's member forecasts) and its answer kept in `observed`.
    `fits`, when given, makes each fit (see `SharedFits`).
    """
    made: list[OriginForecast] = []
    fitted: Forecaster | None = None
    fitted_at: pd.Timestamp | None = None
    for k, origin in enumerate(origins):
        start = train_start if window is None else max(train_start, origin + 1 - int(window))
        train = series.iloc[start : origin + 1]
        date = series.index[origin]
        refitted = fitted is None or refit_here(refit, k, date)
        record = OriginForecast(origin, date, start, refitted, None, None, np.nan, np.nan)
        try:
            started = time.perf_counter()
            if refitted:
                fitted, fitted_at = None, None
                fitted = factory().fit(train) if fits is None else fits.fit(factory(), train)
                fitted_at = date
                forecaster = fitted
            else:
                forecaster = (fitted if in_place else copy.deepcopy(fitted)).update(train)
            record.fit_seconds = time.perf_counter() - started
            record.fitted_at = fitted_at
            started = time.perf_counter()
            if means_only:
                record.mean = forecaster.predict_mean(horizon)
            else:
                record.frame = forecaster.predict(horizon)
            record.predict_seconds = time.perf_counter() - started
            if observe is not None:
                record.observed = observe(forecaster, horizon)
        except failures as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            record.frame, record.mean = None, None
        made.append(record)
    return made
