"""Rolling-origin backtests: fold layout, no look-ahead, parallel runs, failures, tables."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from core.errors import InsufficientHistoryError
from core.forecasting.backtest import BacktestConfig, fit_bundles, plan_folds, run_backtest
from models.base import Forecaster
from models.catalog import forecaster_factory
from models.errors import ModelFitError

FORECAST_COLUMNS = ["mean", "lo80", "hi80", "lo95", "hi95"]


def test_fold_layout_expanding_and_sliding() -> None:
    expanding = plan_folds(100, BacktestConfig(horizon=5, folds=3))
    assert [(f.train_start, f.origin) for f in expanding] == [(0, 84), (0, 89), (0, 94)]
    sliding = plan_folds(100, BacktestConfig(horizon=5, folds=3, step=2, window="sliding", train_size=50))
    assert [(f.train_start, f.origin) for f in sliding] == [(41, 90), (43, 92), (45, 94)]
    with pytest.raises(InsufficientHistoryError, match="need at least"):
        plan_folds(20, BacktestConfig(horizon=5, folds=3), min_train=10)


@pytest.mark.slow
def test_no_look_ahead(histories: dict[str, pd.Series]) -> None:
    """Corrupting every price after fold 0's origin leaves fold 0's forecasts unchanged."""
    series = histories["AAPL"]
    config = BacktestConfig(horizon=5, folds=3)
    factories = {name: forecaster_factory(name) for name in ("naive", "drift", "arima")}
    factories["lstm"] = forecaster_factory("lstm", epochs=3)
    factories["ensemble"] = forecaster_factory("ensemble", members=["naive", "drift", "arima"], inner_folds=3)
    clean = run_backtest({"AAPL": series}, factories, config).forecasts
    origin = plan_folds(len(series), config)[0].origin
    corrupted = series.copy()
    corrupted.iloc[origin + 1 :] = corrupted.iloc[origin + 1 :] * 1.5 + 7
    dirty = run_backtest({"AAPL": corrupted}, factories, config).forecasts

    first = clean["fold"] == 0
    pd.testing.assert_frame_equal(clean.loc[first, FORECAST_COLUMNS], dirty.loc[first, FORECAST_COLUMNS])
    later = clean["fold"] == 2
    assert not np.allclose(clean.loc[later, "mean"], dirty.loc[later, "mean"])
    assert (clean.loc[first, "origin"] == series.index[origin]).all()
    assert (clean.loc[first, "date"] > series.index[origin]).all()


@pytest.mark.slow
def test_parallel_run_matches_serial(histories: dict[str, pd.Series]) -> None:
    factories = {name: forecaster_factory(name) for name in ("naive", "drift")}
    config = BacktestConfig(horizon=3, folds=4)
    calls = []
    serial = run_backtest(histories, factories, config, n_jobs=1)
    parallel = run_backtest(histories, factories, config, n_jobs=2, progress=lambda d, t: calls.append((d, t)))
    pd.testing.assert_frame_equal(serial.forecasts, parallel.forecasts)
    assert calls[-1] == (16, 16)


@pytest.mark.slow
def test_an_ensemble_beside_its_members_shares_their_fits_and_forecasts_as_alone(
    histories: dict[str, pd.Series],
) -> None:
    ensemble = forecaster_factory(
        "ensemble",
        members=["naive", "drift", "lstm"],
        member_params={"lstm": {"epochs": 3}},
        inner_folds=3,
        trim_worse_than_naive=False,
    )
    factories = {
        "naive": forecaster_factory("naive"),
        "lstm": forecaster_factory("lstm", epochs=3),
        "arima": forecaster_factory("arima"),
        "ensemble": ensemble,
    }
    samples = {name: factory() for name, factory in factories.items()}
    assert fit_bundles(samples) == [["arima"], ["naive", "lstm", "ensemble"]]
    config = BacktestConfig(horizon=3, folds=4, refit=2)
    histories = {"AAPL": histories["AAPL"]}
    together = run_backtest(histories, factories, config, n_jobs=2)
    alone = run_backtest(histories, {"ensemble": ensemble}, config)
    single = run_backtest(histories, {"lstm": factories["lstm"]}, config)
    columns = ["fold", "step", "date", *FORECAST_COLUMNS]
    for model, by_itself in (("ensemble", alone), ("lstm", single)):
        shared = together.forecasts[together.forecasts["model"] == model].reset_index(drop=True)
        pd.testing.assert_frame_equal(shared[columns], by_itself.forecasts[columns])
    # Bundled or not, every model follows the refit policy: fitted at folds 0 and 2.
    refitted = together.folds[together.folds["refitted"]]
    assert sorted(set(refitted["fold"])) == [0, 2] and len(refitted) == 8
    assert together.folds["error"].isna().all()


class _FailsOnLongHistory(Forecaster):
    name = "fragile"
    min_history = 3
    interval_method = "none"
    default_params: ClassVar[dict] = {}

    def _fit(self, series: pd.Series) -> None:
        if len(series) >= 290:
            raise ModelFitError("does not converge")
        self._last = float(series.iloc[-1])

    def _predict(self, horizon: int):
        from models.intervals import Bands

        flat = np.full(horizon, self._last)
        return Bands(flat, flat * 0.9, flat * 1.1, flat * 0.8, flat * 1.2)


def test_failed_folds_are_recorded_and_skipped(histories: dict[str, pd.Series]) -> None:
    result = run_backtest({"AAPL": histories["AAPL"]}, {"fragile": _FailsOnLongHistory}, BacktestConfig(5, 3))
    assert result.folds["error"].notna().tolist() == [False, True, True]
    summary = result.summary().iloc[0]
    assert summary["folds"] == 1 and summary["failed_folds"] == 2


def test_summary_and_by_step_tables(histories: dict[str, pd.Series]) -> None:
    factories = {name: forecaster_factory(name) for name in ("naive", "drift")}
    result = run_backtest(histories, factories, BacktestConfig(horizon=4, folds=3))
    summary = result.summary()
    assert len(summary) == 4 and set(summary["ticker"]) == {"AAPL", "JPM"}
    naive = summary[summary["model"] == "naive"]
    assert np.allclose(naive["skill_vs_naive"], 0.0) and naive["dm_pvalue"].isna().all()
    assert np.allclose(naive["directional_accuracy"], 0.5)
    assert summary[["coverage_80", "coverage_95"]].stack().between(0, 1).all()
    assert (summary["coverage_95"] >= summary["coverage_80"]).all()
    by_step = result.by_step()
    assert sorted(by_step["step"].unique()) == [1, 2, 3, 4] and len(by_step) == 16
    assert len(result.by_model()) == 2
    assert result.interval_methods["naive"].startswith("volatility")
    # MASE by hand for one fold of the naive model.
    rows = result.forecasts.query("ticker == 'AAPL' and model == 'naive' and fold == 0")
    train = histories["AAPL"].iloc[: len(histories["AAPL"]) - 4 - 2 * 4]
    scale = np.mean(np.abs(np.diff(train.to_numpy())))
    expected = np.mean(np.abs(rows["actual"] - train.iloc[-1])) / scale
    fold = result.by_fold().query("ticker == 'AAPL' and model == 'naive' and fold == 0").iloc[0]
    assert fold["mase"] == pytest.approx(expected)
