"""The backtest's refit policy (through the one engine) and `evaluate` over the metric registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import InvalidInputError
from core.forecasting.backtest import BacktestConfig, default_config, quarterly_refit, run_backtest
from core.forecasting.scores import METRICS, Points, evaluate
from models.catalog import create_forecaster, forecaster_factory


def test_refit_every_k_origins_fits_there_and_updates_between(histories: dict[str, pd.Series]) -> None:
    series = histories["AAPL"]
    config = BacktestConfig(horizon=3, folds=5, refit=2)
    result = run_backtest({"AAPL": series}, {"arima": forecaster_factory("arima")}, config, n_jobs=1)
    assert result.folds["refitted"].tolist() == [True, False, True, False, True]
    # Fold 1 is fold 0's fit moved to fold 1's origin with `update`: the same forecast by hand.
    origins = pd.to_datetime(result.folds["origin"])
    fitted = create_forecaster("arima").fit(series.loc[: origins[0]])
    by_hand = fitted.update(series.loc[: origins[1]]).predict(3)
    fold = result.forecasts[result.forecasts["fold"] == 1]
    np.testing.assert_allclose(fold["mean"], by_hand["mean"])
    # Two processes give the same forecasts as one.
    parallel = run_backtest({"AAPL": series}, {"arima": forecaster_factory("arima")}, config, n_jobs=2)
    pd.testing.assert_frame_equal(parallel.forecasts, result.forecasts)


def test_the_default_plan_refits_about_once_a_quarter() -> None:
    config = default_config()
    assert config.folds == 24 and config.origin_step == 12
    assert config.refit == quarterly_refit(12) == 5
    assert BacktestConfig().refit is True  # a plain config refits at every origin
    with pytest.raises(InvalidInputError, match="refit"):
        BacktestConfig(refit=-1)


def test_evaluate_applies_named_or_given_metrics_per_group(histories: dict[str, pd.Series]) -> None:
    factories = {name: forecaster_factory(name) for name in ("naive", "drift")}
    result = run_backtest(histories, factories, BacktestConfig(horizon=4, folds=3))
    table = evaluate(result.forecasts, ["ticker", "model"], ["mase", "coverage_80"], horizon=4)
    assert list(table.columns) == ["ticker", "model", "mase", "coverage_80"] and len(table) == 4
    summary = result.summary().set_index(["ticker", "model"])
    np.testing.assert_allclose(table.set_index(["ticker", "model"])["mase"], summary["mase"])
    # Any function of the rows is a metric: the worst scaled error, by hand.
    worst = evaluate(
        result.forecasts, ["model"], {"worst": lambda p: float(np.max(np.abs(p.scaled("actual") - p.scaled("mean"))))}
    )
    naive = result.forecasts[result.forecasts["model"] == "naive"]
    expected = np.max(np.abs(naive["actual"] - naive["mean"]) / naive["scale"])
    assert worst.set_index("model").loc["naive", "worst"] == pytest.approx(expected)
    assert isinstance(Points(naive, 1).verdict.label, str) and "winkler_95" in METRICS
    with pytest.raises(KeyError, match="unknown metric"):
        evaluate(result.forecasts, ["model"], ["no_such_metric"])
