"""Rolling-origin backtesting, written once for every forecaster.

`run_backtest(histories, factories, config)` evaluates each model (a factory returning a
fresh, unfitted `Forecaster`) on each ticker's close prices at `config.folds` origins, through
the one walk-forward engine (`models.walk_forward`). Fold k trains on prices up to its origin
only (expanding from the first price, or a sliding window of `train_size`) and forecasts the
next `horizon` sessions. `config.refit` is the engine's refit policy: `True` fits from
scratch at every origin (every scaler and transform fitted on that fold's training part
alone); k refits every k origins and conditions the last fit on the newer prices in between
(`Forecaster.update`, parameters kept, as a champion is served between retrains); `False`
fits at the first origin only. The last fold's horizon ends at the last price; origins are
`step` sessions apart (default: the horizon, non-overlapping). `default_config` is the plan
every entry point starts from: `DEFAULT_FOLDS` origins spread over at least `MIN_ORIGIN_SPAN`
sessions (a year), because a month of origins is one market regime and says little about
skill or interval coverage, refitted about once a quarter (`quarterly_refit`).
Each fit and its updates run in parallel processes (`n_jobs`); factories must then be
picklable (e.g. `models.catalog.forecaster_factory("arima")`). A combination (the ensemble)
runs in one process with those of its members that are backtested too, sharing their fits
(`models.walk_forward.SharedFits`): its members refitted at an origin are the single models'
fits there, made once. Metrics: `core.forecasting.scores`.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from core.errors import InsufficientHistoryError, InvalidInputError
from core.forecasting.scores import summarise
from core.logs import time_execution
from models.base import Forecaster
from models.walk_forward import FAILURES, ForecasterFactory, SharedFits, naive_scale, refit_groups, walk_forward

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
# Failures a single fold may have without stopping the whole backtest.
FOLD_FAILURES = FAILURES
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_FOLDS = 24
MIN_ORIGIN_SPAN = 260  # sessions between the first and last origin: a little over a year
QUARTER = 63  # sessions: how often the default plan refits (the champions' retrain cadence)


@dataclass(frozen=True)
class BacktestConfig:
    """Where the origins are and when models refit. `step` defaults to `horizon`;
    `train_size` is the sliding window's length (required for `window="sliding"`, ignored
    when expanding); `refit`: True at every origin, k every k origins, False once."""

    horizon: int = 5
    folds: int = 8
    step: int | None = None
    window: Literal["expanding", "sliding"] = "expanding"
    train_size: int | None = None
    refit: bool | int = True

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.folds < 1 or (self.step is not None and self.step < 1):
            raise InvalidInputError("horizon, folds and step must be positive integers")
        if not isinstance(self.refit, bool) and (not isinstance(self.refit, int) or self.refit < 0):
            raise InvalidInputError(f"refit must be true, false or a whole number of origins, not {self.refit!r}")
        if self.window not in ("expanding", "sliding"):
            raise InvalidInputError(f"window must be 'expanding' or 'sliding', not {self.window!r}")
        if self.window == "sliding" and not self.train_size:
            raise InvalidInputError("a sliding window needs train_size")

    @property
    def origin_step(self) -> int:
        return self.step or self.horizon


def spread_step(folds: int, span: int = MIN_ORIGIN_SPAN) -> int:
    """Sessions between origins so that `folds` origins span at least `span` sessions. Test
    windows of horizons longer than the step overlap; the Diebold–Mariano test allows for it."""
    return max(1, math.ceil(span / max(int(folds) - 1, 1)))


def quarterly_refit(step: int) -> int:
    """Origins between refits so that models refit about once a quarter (`QUARTER` sessions)."""
    return max(1, round(QUARTER / max(int(step), 1)))


def default_config(horizon: int = 5, folds: int = DEFAULT_FOLDS, **overrides) -> BacktestConfig:
    """The default plan: `folds` origins spread over at least a year (see `spread_step`),
    models refitted about once a quarter and updated in between (`quarterly_refit`)."""
    step = overrides.pop("step", None) or spread_step(folds)
    return BacktestConfig(horizon=horizon, folds=folds, **{"step": step, "refit": quarterly_refit(step), **overrides})


@dataclass(frozen=True)
class FoldSpec:
    """One fold: train on positions [train_start, origin], test on (origin, origin + horizon]."""

    fold: int
    train_start: int
    origin: int


@dataclass
class BacktestResult:
    """Every fold's forecasts and timings; metric tables are computed from them on demand."""

    config: BacktestConfig
    forecasts: pd.DataFrame  # ticker, model, fold, origin, step, date, actual, mean, lo80..hi95, last_value, scale
    folds: pd.DataFrame  # ticker, model, fold, origin, train_size, fit_seconds, predict_seconds, error
    interval_methods: dict[str, str] = field(default_factory=dict)

    def origin_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last origin over every ticker and model (None without folds)."""
        if self.folds.empty:
            return None
        origins = pd.to_datetime(self.folds["origin"])
        return origins.min(), origins.max()

    def summary(self) -> pd.DataFrame:
        """One row per ticker and model: metrics over all folds and steps."""
        return summarise(self.forecasts, self.folds, by=["ticker", "model"], horizon=self.config.horizon)

    def by_step(self) -> pd.DataFrame:
        """One row per ticker, model and horizon step."""
        return summarise(self.forecasts, self.folds, by=["ticker", "model", "step"], horizon=self.config.horizon)

    def by_fold(self) -> pd.DataFrame:
        return summarise(self.forecasts, self.folds, by=["ticker", "model", "fold"], horizon=self.config.horizon)

    def by_model(self) -> pd.DataFrame:
        """Pooled over tickers: one row per model (MASE makes tickers comparable)."""
        return summarise(self.forecasts, self.folds, by=["model"], horizon=self.config.horizon)


def plan_folds(n_prices: int, config: BacktestConfig, min_train: int = 2) -> list[FoldSpec]:
    """The folds for a series of `n_prices`, oldest first; raises if they do not fit."""
    step, horizon = config.origin_step, config.horizon
    last_origin = n_prices - 1 - horizon
    specs = []
    for fold in range(config.folds):
        origin = last_origin - step * (config.folds - 1 - fold)
        start = 0 if config.window == "expanding" else max(origin + 1 - int(config.train_size), 0)
        specs.append(FoldSpec(fold=fold, train_start=start, origin=origin))
    needed = min_train + horizon + step * (config.folds - 1)
    if specs[0].origin + 1 - specs[0].train_start < min_train:
        raise InsufficientHistoryError(
            f"{n_prices} prices are too few for {config.folds} folds of horizon {horizon}: "
            f"need at least {needed} (the first fold needs {min_train} training prices)"
        )
    return specs


def run_folds(
    series: pd.Series,
    factory: ForecasterFactory,
    specs: list[FoldSpec],
    config: BacktestConfig,
    fits: SharedFits | None = None,
) -> list[dict]:
    """One fit at the first of `specs` and updates at the others (the engine with
    `refit=False`), forecasting `config.horizon` steps; one plain record per fold. `fits`:
    fits shared with other models' walks over the same prices (see `SharedFits`)."""
    horizon = config.horizon
    window = int(config.train_size) if config.window == "sliding" else None
    origins = [spec.origin for spec in specs]
    made = walk_forward(series, factory, origins, horizon, refit=False, window=window, fits=fits)
    records = []
    for spec, forecast in zip(specs, made, strict=True):
        train = series.iloc[forecast.train_start : forecast.origin + 1]
        record = {
            "fold": spec.fold,
            "origin": forecast.origin_date,
            "train_size": forecast.train_size,
            "refitted": forecast.refitted,
            "fit_seconds": forecast.fit_seconds if forecast.error is None else np.nan,
            "predict_seconds": forecast.predict_seconds if forecast.error is None else np.nan,
            "error": forecast.error,
            "forecast": None,
        }
        if forecast.frame is not None:
            frame = forecast.frame
            frame.insert(0, "step", np.arange(1, horizon + 1))
            frame["actual"] = series.iloc[forecast.origin + 1 : forecast.origin + 1 + horizon].to_numpy()
            frame["last_value"] = float(train.iloc[-1])
            frame["scale"] = naive_scale(train.to_numpy())
            record["forecast"] = frame
        records.append(record)
    return records


def _run_task(task: tuple) -> list[tuple]:
    """One ticker's fit group for one model, or for a bundle of models sharing fits (in order)."""
    ticker, models, series, specs, config = task
    fits = SharedFits() if len(models) > 1 else None
    return [(ticker, model, run_folds(series, factory, specs, config, fits)) for model, factory in models]


def fit_bundles(samples: Mapping[str, Forecaster]) -> list[list[str]]:
    """The models backtested together because they can share fits: each combination with its
    members that are backtested too (members first); every other model alone."""
    combinations = [m for m, sample in samples.items() if type(sample).member_specs(sample.params)]
    bundles, placed = [], set(combinations)
    for model in combinations:
        sample = samples[model]
        members = [m for m in type(sample).member_specs(sample.params) if m in samples and m not in placed]
        placed.update(members)
        bundles.append([*members, model])
    return [[m] for m in samples if m not in placed] + bundles


@time_execution
def run_backtest(
    histories: Mapping[str, pd.Series],
    factories: Mapping[str, ForecasterFactory],
    config: BacktestConfig,
    *,
    n_jobs: int = 1,
    progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Backtest every model in `factories` on every series in `histories` (ticker → closes).

    Failed folds are kept in `result.folds` with their error and left out of the metrics.
    `progress(done, total)` is called in this process after each fold.
    """
    samples = {model: factory() for model, factory in factories.items()}
    # Every model trains on the same folds, so the most demanding model sets the first origin.
    min_train = max(sample.required_history for sample in samples.values())
    bundles = fit_bundles(samples)
    tasks = []
    for ticker, series in histories.items():
        specs = plan_folds(len(series), config, min_train=min_train)
        # One task per fit: a fit and the updates that follow it run in one process.
        for group in refit_groups(len(specs), config.refit):
            chunk = [specs[k] for k in group]
            end = chunk[-1].origin + 1 + config.horizon
            for bundle in bundles:
                models = tuple((model, factories[model]) for model in bundle)
                tasks.append((ticker, models, series.iloc[:end], chunk, config))
    # Longest first, so that the last tasks to finish are short ones.
    tasks.sort(key=lambda task: -sum(samples[model].relative_cost for model, _ in task[1]) * len(task[3]))
    outcomes = [outcome for batch in _execute(tasks, n_jobs, progress) for outcome in batch]
    return _assemble(outcomes, config, {m: s.interval_method for m, s in samples.items()})


def _split(outcome: list[tuple]) -> list[tuple]:
    return [(ticker, model, record) for ticker, model, records in outcome for record in records]


def _execute(tasks: list[tuple], n_jobs: int, progress: ProgressCallback | None):
    """Runs the tasks; yields each task's fold outcomes, calling `progress(folds done, folds)`."""
    total = sum(len(task[1]) * len(task[3]) for task in tasks)
    done = 0
    if n_jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            batch = _split(_run_task(task))
            done += len(batch)
            yield batch
            if progress:
                progress(done, total)
        return
    # spawn, not fork: torch and BLAS thread pools do not survive a fork safely.
    context = multiprocessing.get_context("spawn")
    with (
        _single_threaded_workers(),
        _workers_skip_main_module(),
        ProcessPoolExecutor(max_workers=min(n_jobs, len(tasks)), mp_context=context) as pool,
    ):
        futures = [pool.submit(_run_task, task) for task in tasks]
        for future in as_completed(futures):
            batch = _split(future.result())
            done += len(batch)
            yield batch
            if progress:
                progress(done, total)


@contextmanager
def _workers_skip_main_module() -> Iterator[None]:
    """Spawned workers re-run the parent's `__main__` file before their first task. Streamlit
    runs every page as `__main__`, so a backtest started from a page would re-run the page in
    each worker (and crash it). Tasks only need importable modules: give workers none."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


@contextmanager
def _single_threaded_workers() -> Iterator[None]:
    """Spawned workers inherit the environment: one BLAS/OpenMP thread each. With one
    process per core, threaded BLAS oversubscribes the cores (ARIMA fits ran 6x slower)."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    os.environ.update({name: "1" for name in _THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _assemble(outcomes: list[tuple], config: BacktestConfig, methods: dict[str, str]) -> BacktestResult:
    frames, fold_rows = [], []
    for ticker, model, record in outcomes:
        frame = record.pop("forecast")
        fold_rows.append({"ticker": ticker, "model": model, **record})
        if frame is not None:
            frame.insert(0, "origin", record["origin"])
            frame.insert(0, "fold", record["fold"])
            frame.insert(0, "model", model)
            frame.insert(0, "ticker", ticker)
            frames.append(frame)
        else:
            logger.warning("%s %s fold %s failed: %s", ticker, model, record["fold"], record["error"])
    order = ["ticker", "model", "fold", "step"]
    forecasts = (
        pd.concat(frames, ignore_index=True).sort_values(order, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*order, "origin", "date", "actual", "mean", "lo80", "hi80", "lo95", "hi95"])
    )
    folds = pd.DataFrame(fold_rows).sort_values(["ticker", "model", "fold"], ignore_index=True)
    return BacktestResult(config=config, forecasts=forecasts, folds=folds, interval_methods=methods)
