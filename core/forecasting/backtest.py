"""Rolling-origin backtesting, written once for every forecaster.

`run_backtest(histories, factories, config)` evaluates each model (a factory returning a
fresh, unfitted `Forecaster`) on each ticker's close prices at `config.folds` origins. Fold k
trains on prices up to its origin only (expanding from the first price, or a sliding window
of `train_size`), is fitted from scratch (so every scaler and transform is fitted on the
training part alone) and forecasts the next `horizon` sessions. The last fold's horizon ends
at the last price; origins are `step` sessions apart (default: the horizon, non-overlapping).
`default_config` is the plan every entry point starts from: `DEFAULT_FOLDS` origins spread
over at least `MIN_ORIGIN_SPAN` sessions (a year), because a month of origins is one market
regime and says little about skill or interval coverage.
Folds of all tickers and models run in parallel processes (`n_jobs`); factories must then be
picklable (e.g. `models.catalog.forecaster_factory("arima")`). Metrics: `core.forecasting.scores`.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import time
import types
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from core.errors import InsufficientHistoryError, InvalidInputError
from core.logs import time_execution
from models.base import Forecaster
from models.errors import ForecastError

logger = logging.getLogger(__name__)

ForecasterFactory = Callable[[], Forecaster]
ProgressCallback = Callable[[int, int], None]
# Failures a single fold may have without stopping the whole backtest.
FOLD_FAILURES = (ForecastError, ValueError, ArithmeticError, RuntimeError)
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_FOLDS = 24
MIN_ORIGIN_SPAN = 260  # sessions between the first and last origin: a little over a year


@dataclass(frozen=True)
class BacktestConfig:
    """Where the origins are. `step` defaults to `horizon`; `train_size` is the sliding
    window's length (required for `window="sliding"`, ignored when expanding)."""

    horizon: int = 5
    folds: int = 8
    step: int | None = None
    window: Literal["expanding", "sliding"] = "expanding"
    train_size: int | None = None

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.folds < 1 or (self.step is not None and self.step < 1):
            raise InvalidInputError("horizon, folds and step must be positive integers")
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


def default_config(horizon: int = 5, folds: int = DEFAULT_FOLDS, **overrides) -> BacktestConfig:
    """The default plan: `folds` origins spread over at least a year (see `spread_step`)."""
    return BacktestConfig(horizon=horizon, folds=folds, **{"step": spread_step(folds), **overrides})


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
        from core.forecasting.scores import summarise

        return summarise(self, by=["ticker", "model"])

    def by_step(self) -> pd.DataFrame:
        """One row per ticker, model and horizon step."""
        from core.forecasting.scores import summarise

        return summarise(self, by=["ticker", "model", "step"])

    def by_fold(self) -> pd.DataFrame:
        from core.forecasting.scores import summarise

        return summarise(self, by=["ticker", "model", "fold"])

    def by_model(self) -> pd.DataFrame:
        """Pooled over tickers: one row per model (MASE makes tickers comparable)."""
        from core.forecasting.scores import summarise

        return summarise(self, by=["model"])


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


def run_fold(series: pd.Series, factory: ForecasterFactory, spec: FoldSpec, horizon: int) -> dict:
    """Fit on the fold's training part only, forecast `horizon` steps; returns a plain record."""
    train = series.iloc[spec.train_start : spec.origin + 1]
    actual = series.iloc[spec.origin + 1 : spec.origin + 1 + horizon].to_numpy()
    record = {
        "fold": spec.fold,
        "origin": train.index[-1],
        "train_size": len(train),
        "fit_seconds": np.nan,
        "predict_seconds": np.nan,
        "error": None,
        "forecast": None,
    }
    try:
        started = time.perf_counter()
        forecaster = factory().fit(train)
        fitted = time.perf_counter()
        frame = forecaster.predict(horizon)
        record["predict_seconds"] = time.perf_counter() - fitted
        record["fit_seconds"] = fitted - started
    except FOLD_FAILURES as exc:
        record["error"] = f"{type(exc).__name__}: {exc}"
        return record
    frame.insert(0, "step", np.arange(1, horizon + 1))
    frame["actual"] = actual
    frame["last_value"] = float(train.iloc[-1])
    frame["scale"] = float(np.mean(np.abs(np.diff(train.to_numpy()))))
    record["forecast"] = frame
    return record


def _run_task(task: tuple) -> tuple:
    ticker, model, series, factory, spec, horizon = task
    return ticker, model, run_fold(series, factory, spec, horizon)


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
    tasks = []
    for ticker, series in histories.items():
        specs = plan_folds(len(series), config, min_train=min_train)
        for model, factory in factories.items():
            tasks += [
                (ticker, model, series.iloc[: spec.origin + 1 + config.horizon], factory, spec, config.horizon)
                for spec in specs
            ]
    # Longest first, so that the last tasks to finish are short ones.
    tasks.sort(key=lambda task: -samples[task[1]].relative_cost)
    outcomes = list(_execute(tasks, n_jobs, progress))
    return _assemble(outcomes, config, {m: s.interval_method for m, s in samples.items()})


def _execute(tasks: list[tuple], n_jobs: int, progress: ProgressCallback | None):
    total = len(tasks)
    if n_jobs <= 1 or total <= 1:
        for done, task in enumerate(tasks, start=1):
            yield _run_task(task)
            if progress:
                progress(done, total)
        return
    # spawn, not fork: torch and BLAS thread pools do not survive a fork safely.
    context = multiprocessing.get_context("spawn")
    with (
        _single_threaded_workers(),
        _workers_skip_main_module(),
        ProcessPoolExecutor(max_workers=min(n_jobs, total), mp_context=context) as pool,
    ):
        futures = [pool.submit(_run_task, task) for task in tasks]
        for done, future in enumerate(as_completed(futures), start=1):
            yield future.result()
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
