"""A forecast combination that is itself a Forecaster.

Its members come as factories (`factories`, name → zero-argument callable returning a fresh
forecaster): `models.catalog.create_forecaster("ensemble", members=[…])` resolves the names
in `members` / `weights` (with `member_params`) into them, as darts' `EnsembleModel` is given
its models; this module never looks a model up by name.

How `fit(history)` works, using `history` only:
1. inner backtest (`models.walk_forward`, fit once then update): each member is fitted once
   at the first of `inner_folds` origins spaced `inner_step` sessions apart, ending
   `inner_horizon` sessions before the last price, then conditioned on newer prices with
   `update` (ARIMA, LSTM and Prophet keep their estimated parameters, the baselines refit,
   all cheap) and asked for `inner_horizon` steps at every origin;
2. weights: inverse MASE of each member on those inner forecasts (MASE scaled by the
   one-step naive MAE before the first origin, `naive_scale`), raised to `weight_power`, normalised, over
   the members whose inner MASE is no worse than the naive member's (`trim_worse_than_naive`:
   a member that cannot beat the random walk on recent history gets no weight); or the
   user's `weights`, if given;
3. members are re-estimated on the full history (`refit_members`, default: `refit`, which
   keeps structural choices such as ARIMA's order) or moved to it with `update` (cheaper;
   parameters then date from the first inner origin). A member whose refit is a plain fit
   (Prophet, the LSTM, the baselines) is taken from the `SharedFits` given by `share_fits`
   when there is one: a backtest running the single models beside the ensemble fits them
   once for both.
Point forecast: the weighted mean of members' log-price forecasts. Intervals: as the point
combines models, the variance combines them too: `models.volatility.COMBINED` (the mean of a
GJR-GARCH and a two-speed EWMA variance) of the history around that point path; the single
models use the GARCH(1,1) bands. Averaging members' intervals under-covered: members' errors
are nearly the same random-walk error, so their spread adds nothing. A member that fails to
fit or predict is dropped with a warning.
The defaults were chosen on rolling origins through 2016 of the development prices.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster, MemberWeight
from models.errors import ForecastInputError, ModelFitError
from models.intervals import Bands
from models.volatility import COMBINED
from models.walk_forward import FAILURES, ForecasterFactory, SharedFits, naive_scale, walk_forward

logger = logging.getLogger(__name__)
_LEVELS = ("80", "95")
# What a member may raise without taking the ensemble down (numerical and input trouble).
MEMBER_FAILURES = FAILURES


class EnsembleForecaster(Forecaster):
    """Inverse-MASE weighted combination of other catalog models."""

    name = "ensemble"
    min_history = 150
    interval_method = COMBINED.method
    default_params: ClassVar[dict[str, Any]] = {
        "members": ["naive", "drift", "arima", "prophet", "lstm"],
        "member_params": {},
        "weights": None,
        "weight_power": 1.0,
        "inner_folds": 20,
        "inner_step": 5,
        "inner_horizon": 5,
        "trim_worse_than_naive": True,
        "refit_members": True,
    }
    relative_cost = 4.0
    retired_params: ClassVar[frozenset[str]] = frozenset({"conformal", "conformal_prior"})

    def __init__(self, factories: Mapping[str, ForecasterFactory] | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._factories = dict(factories or {})
        self._shared: SharedFits | None = None
        missing = [name for name in self.member_names if name not in self._factories]
        if missing:
            raise ForecastInputError(
                f"the ensemble has no factory for member(s) {missing}: create it with "
                "models.catalog.create_forecaster, which resolves member names"
            )

    @classmethod
    def member_specs(cls, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
        names = list(params["weights"]) if params["weights"] else list(params["members"])
        return {name: dict(params["member_params"].get(name, {})) for name in names}

    @property
    def fitted_members(self) -> dict[str, Forecaster]:
        return dict(getattr(self, "_members", None) or {})

    @property
    def member_weights(self) -> list[MemberWeight]:
        weights = getattr(self, "weights", None) or {}
        inner = getattr(self, "inner_mase", None) or {}
        dropped = getattr(self, "dropped", None) or {}
        return [
            MemberWeight(
                name=name,
                weight=float(weights.get(name, 0.0)) if name not in dropped else 0.0,
                inner_mase=inner.get(name),
                dropped=dropped.get(name),
            )
            for name in self.member_names
        ]

    @property
    def member_names(self) -> list[str]:
        weights = self.params["weights"]
        return list(weights) if weights else list(self.params["members"])

    @property
    def required_history(self) -> int:
        inner_span = int(self.params["inner_folds"] - 1) * int(self.params["inner_step"])
        inner_span += int(self.params["inner_horizon"])
        longest = max(self._factories[name]().required_history for name in self.member_names)
        return max(self.min_history, longest + inner_span + 1)

    def share_fits(self, fits: SharedFits | None) -> EnsembleForecaster:
        self._shared = fits
        return self

    def _fit(self, series: pd.Series) -> None:
        horizon, step = int(self.params["inner_horizon"]), int(self.params["inner_step"])
        folds = int(self.params["inner_folds"])
        last_origin = len(series) - 1 - horizon
        origins = [last_origin - step * k for k in reversed(range(folds))]
        self.inner_origins = [series.index[o] for o in origins]
        log_actual = np.log(series.to_numpy())
        self._members, inner = {}, {}
        self.dropped: dict[str, str] = {}
        for name in self.member_names:
            try:
                self._members[name], inner[name] = self._inner_forecasts(name, series, origins, horizon)
            except MEMBER_FAILURES as exc:
                logger.warning("ensemble member %s failed and is dropped: %s", name, exc)
                self.dropped[name] = f"failed to fit: {type(exc).__name__}: {exc}"[:300]
        if not self._members:
            raise ModelFitError("every ensemble member failed to fit")
        targets = np.array([log_actual[o + 1 : o + 1 + horizon] for o in origins])
        scale = naive_scale(series.to_numpy()[: origins[0] + 1])
        self.inner_mase = {
            name: float(np.mean(np.abs(np.exp(log_means) - np.exp(targets))) / scale)
            for name, log_means in inner.items()
        }
        self.weights = self._weights()
        self._members = self._members_on_full_history(series)
        logger.debug("ensemble weights %s", self.weights)

    def _inner_forecasts(self, name, series, origins, horizon):
        """The member conditioned on the last inner origin, and its point forecasts at each
        inner origin as log prices, shape (origins, horizon) (fitted once, then updated:
        `walk_forward`; the weights score points only, so no intervals or frames are made)."""
        made = walk_forward(
            series,
            self._factories[name],
            origins,
            horizon,
            refit=False,
            observe=_keep_member,
            failures=(),
            in_place=True,
            means_only=True,
        )
        return made[-1].observed, np.log(np.array([forecast.mean for forecast in made]))

    def _members_on_full_history(self, series: pd.Series) -> dict[str, Forecaster]:
        """The weighted members, refitted on (or moved to) the whole history."""
        members = {}
        for name in (n for n, weight in self.weights.items() if weight > 0):
            member = self._members[name]
            try:
                if not self.params["refit_members"]:
                    members[name] = member.update(series)
                elif self._shared is not None and member.refits_from_scratch:
                    members[name] = self._shared.fit(self._factories[name](), series)
                else:
                    members[name] = member.refit(series)
            except MEMBER_FAILURES as exc:
                logger.warning("ensemble member %s failed on the full history and is dropped: %s", name, exc)
                self.dropped[name] = f"failed on the full history: {type(exc).__name__}: {exc}"[:300]
        if not members:
            raise ModelFitError("every ensemble member failed on the full history")
        return members

    def _weights(self) -> dict[str, float]:
        user = self.params["weights"]
        if user:
            raw = {name: float(user[name]) for name in self._members}
        else:
            power = float(self.params["weight_power"])
            eligible = list(self._members)
            if self.params["trim_worse_than_naive"] and "naive" in self._members:
                eligible = [n for n in eligible if self.inner_mase[n] <= self.inner_mase["naive"]]
                for name in set(self._members) - set(eligible):
                    self.dropped[name] = "worse than naive on the inner backtest"
            raw = {name: max(self.inner_mase[name], 1e-9) ** -power for name in eligible}
        for name, value in raw.items():
            if value <= 0:
                self.dropped[name] = "weight set to zero by hand"
        total = sum(raw.values())
        if total <= 0:
            raise ModelFitError("ensemble weights must sum to a positive number")
        return {name: value / total for name, value in raw.items()}

    def _combine(self, logs: dict[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Weighted log mean and weighted log offsets; members missing from `logs` are skipped."""
        names = [n for n in self.weights if n in logs]
        total = sum(self.weights[n] for n in names)
        return {key: sum(self.weights[n] * logs[n][key] for n in names) / total for key in logs[names[0]]}

    def _update(self, series: pd.Series) -> None:
        # Newer prices move every member with its own `update` (ARIMA, Prophet and LSTM keep
        # their parameters); weights stay those of the last fit.
        members = {}
        for name, member in self._members.items():
            try:
                members[name] = member.update(series)
            except MEMBER_FAILURES as exc:
                logger.warning("ensemble member %s failed to update and is dropped: %s", name, exc)
                self.dropped[name] = f"failed to update: {type(exc).__name__}: {exc}"[:300]
        if not members:
            raise ModelFitError("every ensemble member failed to update")
        self._members = members

    def _predict(self, horizon: int) -> Bands:
        logs = {}
        for name, member in self._members.items():
            try:
                logs[name] = _log_frame(member.predict(horizon))
            except MEMBER_FAILURES as exc:
                logger.warning("ensemble member %s failed to predict and is skipped: %s", name, exc)
        if not logs:
            raise ModelFitError("every ensemble member failed to predict")
        combined = self._combine(logs)
        return COMBINED.bands(combined["mean"], self.history.to_numpy())

    def _save_state(self, path: Path) -> None:
        for name, member in self._members.items():
            member.save(path / "members" / name)
        members, factories = self._members, self._factories
        self._members, self._factories = {}, {}
        try:
            super()._save_state(path)
        finally:
            self._members, self._factories = members, factories

    def _load_state(self, path: Path) -> None:
        factories = self._factories
        super()._load_state(path)
        self._factories = factories
        self._members = {
            name: factories[name]().restore(path / "members" / name)
            for name in self.weights
            if (path / "members" / name).is_dir() and name in factories
        }


def _keep_member(forecaster: Forecaster, horizon: int) -> Forecaster:
    return forecaster


def _log_frame(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A forecast frame as a log mean and positive log offsets (lo* measured downward)."""
    log_mean = np.log(frame["mean"].to_numpy())
    out = {"mean": log_mean}
    for level in _LEVELS:
        out[f"hi{level}"] = np.log(frame[f"hi{level}"].to_numpy()) - log_mean
        out[f"lo{level}"] = log_mean - np.log(frame[f"lo{level}"].to_numpy())
    return out
