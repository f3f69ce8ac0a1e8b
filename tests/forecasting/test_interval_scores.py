"""Interval scores in backtests: Winkler and pinball by hand, narrower-but-wrong loses to
wider-but-right, and the default fold plan spreads its origins over at least a year."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from core.forecasting import metrics
from core.forecasting.backtest import DEFAULT_FOLDS, MIN_ORIGIN_SPAN, default_config, plan_folds, run_backtest
from core.forecasting.report import model_report
from models.base import Forecaster
from models.catalog import forecaster_factory
from models.intervals import Bands


class _Flat(Forecaster):
    """Tomorrow = today, with intervals a fixed share of the price (too narrow or too wide)."""

    min_history = 3
    interval_method = "fixed share of the price"
    default_params: ClassVar[dict] = {}
    half80: ClassVar[float]

    def _fit(self, series: pd.Series) -> None:
        self._last = float(series.iloc[-1])

    def _predict(self, horizon: int) -> Bands:
        flat = np.full(horizon, self._last)
        h80, h95 = self.half80, 1.6 * self.half80
        return Bands(flat, flat * (1 - h80), flat * (1 + h80), flat * (1 - h95), flat * (1 + h95))


class _Narrow(_Flat):
    name, half80 = "narrow", 0.002


class _Wide(_Flat):
    name, half80 = "wide", 0.05


def test_pinball_and_winkler_by_hand() -> None:
    assert metrics.pinball_loss([10.0, 10.0], [12.0, 8.0], 0.9) == pytest.approx((0.1 * 2 + 0.9 * 2) / 2)
    # One miss 3 below a [5, 7] 80% interval: width 2 + (2 / 0.2) · 3.
    assert metrics.winkler_score([2.0], [5.0], [7.0], alpha=0.2) == pytest.approx(32.0)


def test_narrower_but_wrong_loses_to_wider_but_right(histories: dict[str, pd.Series]) -> None:
    result = run_backtest({"AAPL": histories["AAPL"]}, {"narrow": _Narrow, "wide": _Wide}, default_config(5, 10))
    table = result.by_model().set_index("model")
    assert table.loc["narrow", "width_80"] < table.loc["wide", "width_80"]
    assert table.loc["narrow", "coverage_80"] < 0.3 < 0.7 < table.loc["wide", "coverage_80"]
    for column in ("winkler_80", "winkler_95", "pinball"):
        assert table.loc["narrow", column] > table.loc["wide", column], column
    # Winkler by hand on the scaled values the table uses.
    rows = result.forecasts[result.forecasts["model"] == "narrow"]
    scaled = {c: rows[c] / rows["scale"] for c in ("actual", "lo80", "hi80")}
    expected = metrics.winkler_score(scaled["actual"], scaled["lo80"], scaled["hi80"], alpha=0.2)
    assert table.loc["narrow", "winkler_80"] == pytest.approx(expected)


def test_default_plan_has_twenty_folds_over_at_least_a_year(histories: dict[str, pd.Series]) -> None:
    config = default_config(5)
    assert config.folds == DEFAULT_FOLDS >= 20
    specs = plan_folds(1000, config)
    assert specs[-1].origin - specs[0].origin >= MIN_ORIGIN_SPAN >= 252
    result = run_backtest({"AAPL": histories["AAPL"]}, {"naive": forecaster_factory("naive")}, config)
    first, last = result.origin_range()
    assert (last - first).days >= 365
    summary = result.summary().iloc[0]
    assert summary["first_origin"] == first and summary["last_origin"] == last and summary["folds"] == 24


def test_report_lists_interval_scores_beside_naive(histories: dict[str, pd.Series]) -> None:
    factories = {"naive": forecaster_factory("naive"), "wide": _Wide}
    result = run_backtest(histories, factories, default_config(5, 20, step=10))
    text = model_report(result, ["wide", "naive"])
    lines = text.splitlines()
    assert lines[0].startswith("20 origins from ") and "every 10 sessions, horizon 5, 2 ticker(s)" in lines[0]
    for header in ("MASE", "skill", "DM p", "verdict", "cov 80", "cov 95", "width 80", "Winkler 95", "pinball"):
        assert header in lines[1]
    assert lines[3].startswith("naive") and lines[4].startswith("wide")
    assert "None" not in text and "−0.0%" not in text


def test_interval_skill_against_naive_matches_the_table_and_is_judged(histories: dict[str, pd.Series]) -> None:
    from core.forecasting.scores import interval_verdicts

    factories = {"naive": forecaster_factory("naive"), "narrow": _Narrow, "wide": _Wide}
    result = run_backtest(histories, factories, default_config(5, 20, step=10))
    table = result.by_model().set_index("model")
    verdicts = interval_verdicts(result)
    assert set(verdicts) == {"narrow", "wide"}
    for model in verdicts:
        # Same points for every model, so the mean of (W80 + W95) is the sum of the table's means.
        expected = 1 - (table.loc[model, "winkler_80"] + table.loc[model, "winkler_95"]) / (
            table.loc["naive", "winkler_80"] + table.loc["naive", "winkler_95"]
        )
        assert verdicts[model].skill == pytest.approx(expected)
        assert verdicts[model].n_folds == 40
    # Intervals a tenth of the market's width miss nearly always: significantly worse than naive's.
    assert verdicts["narrow"].skill < 0 and verdicts["narrow"].label == "worse than naive"
    text = model_report(result, ["narrow", "wide", "naive"])
    assert "interval skill" in text.splitlines()[1]
    assert interval_verdicts(run_backtest(histories, {"wide": _Wide}, default_config(5, 4))) == {}


def test_pooled_skill_is_tested_across_origin_dates_not_tickers(histories: dict[str, pd.Series]) -> None:
    from core.forecasting.significance import judge_skill

    config = default_config(5, 20, step=10)
    one = run_backtest({"AAPL": histories["AAPL"]}, {"drift": forecaster_factory("drift")}, config)
    # Two copies of one ticker are no more evidence than one: the pooled p-value is the same.
    twice = run_backtest(
        {"AAPL": histories["AAPL"], "COPY": histories["AAPL"]}, {"drift": forecaster_factory("drift")}, config
    )
    single, pooled = one.by_model().iloc[0], twice.by_model().iloc[0]
    assert pooled["dm_pvalue"] == pytest.approx(single["dm_pvalue"])
    assert pooled["skill_vs_naive"] == pytest.approx(single["skill_vs_naive"])
    # …whereas treating the copies as independent points would claim more certainty.
    rows = twice.forecasts.sort_values(["ticker", "fold", "step"])
    naive_p = judge_skill(
        (rows["actual"] - rows["mean"]) / rows["scale"],
        (rows["actual"] - rows["last_value"]) / rows["scale"],
        horizon=5,
    ).p_value
    assert naive_p < single["dm_pvalue"]
