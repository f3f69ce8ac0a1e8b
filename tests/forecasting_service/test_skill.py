"""The skill of exactly the forecast shown: same configuration, same horizon, cached, logged.
Real database, real MLflow store; few folds and light models to stay fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from core.errors import InsufficientHistoryError
from core.forecasting.backtest import run_backtest
from core.forecasting.service import forecast
from core.forecasting.significance import judge_skill
from core.forecasting.skill import SkillRequest, measure_skill, plan_skill_backtest
from core.tracking.store import BACKTESTS, experiment_id
from models.catalog import forecaster_factory
from tests.tracking.fixtures import closes_of, store_prices


@pytest.fixture
def skill_settings(tracking_settings):
    return tracking_settings.model_copy(update={"skill_folds": 4, "skill_span": 30, "backtest_workers": 1})


@pytest.fixture
def prices(session, test_prices):
    store_prices(session, test_prices)
    return test_prices


def skill_runs(settings, key: str) -> list:
    client = MlflowClient(settings.mlflow_tracking_uri)
    return client.search_runs([experiment_id(settings, BACKTESTS)], f"tags.skill_key = '{key}'")


def test_the_fold_plan_spreads_the_origins_and_shrinks_to_fit():
    # 982 prices, h = 10, the default ensemble's 181 training prices: 20 origins 14 sessions apart.
    plan = plan_skill_backtest(982, horizon=10, min_train=181, window=None, folds=20, span=252)
    assert (plan.folds, plan.origin_step, plan.window) == (20, 14, "expanding")
    # A 756-price window leaves 921 − 755 = 166 sessions for the origins: 20 of them 8 apart.
    plan = plan_skill_backtest(982, horizon=60, min_train=181, window=756, folds=20, span=252)
    assert (plan.folds, plan.origin_step, plan.window, plan.train_size) == (20, 8, "sliding", 756)
    # Only 5 sessions of room: 6 origins one session apart.
    plan = plan_skill_backtest(200, horizon=10, min_train=185, window=None, folds=20, span=252)
    assert (plan.folds, plan.origin_step) == (6, 1)
    with pytest.raises(InsufficientHistoryError):
        plan_skill_backtest(190, horizon=10, min_train=185, window=None, folds=20, span=252)


def test_the_skill_is_the_backtest_of_the_same_configuration_and_is_cached(session, skill_settings, prices):
    closes = closes_of(prices, "AAPL")
    request = SkillRequest.of(ticker="aapl", model="drift", horizon=7, window=120)
    skill = measure_skill(session, settings=skill_settings, request=request, closes=closes)

    # The same backtest, run by hand: 4 origins ceil(30 / 3) = 10 sessions apart, sliding 120 prices.
    plan = plan_skill_backtest(len(closes), horizon=7, min_train=3, window=120, folds=4, span=30)
    assert (plan.folds, plan.origin_step, plan.train_size) == (4, 10, 120)
    result = run_backtest({"AAPL": closes}, {"drift": forecaster_factory("drift")}, plan)
    rows = result.forecasts.sort_values(["fold", "step"])
    model_errors = (rows["actual"] - rows["mean"]) / rows["scale"]
    naive_errors = (rows["actual"] - rows["last_value"]) / rows["scale"]
    verdict = judge_skill(model_errors, naive_errors, horizon=7, n_folds=4)
    assert skill.mase == pytest.approx(np.mean(np.abs(model_errors)))
    assert skill.naive_mase == pytest.approx(np.mean(np.abs(naive_errors)))
    assert skill.skill_vs_naive == pytest.approx(1 - skill.mase / skill.naive_mase)
    assert skill.skill_vs_naive == pytest.approx(verdict.skill)
    assert skill.p_value == pytest.approx(verdict.p_value)
    assert skill.folds == 4 and skill.horizon == 7 and skill.window == 120
    # The last origin is h sessions before the last price; the first 30 sessions earlier.
    assert skill.last_origin == closes.index[-1 - 7].date()
    assert skill.first_origin == closes.index[-1 - 7 - 30].date()
    assert skill.text() == verdict.text() and skill.beats_naive == verdict.beats_naive
    assert not skill.cached

    # Logged once to MLflow with a readable name; asked again, it comes from the cache.
    runs = skill_runs(skill_settings, skill.key)
    assert len(runs) == 1 and runs[0].info.run_name == "AAPL · drift, last 120 prices · h7 · 2016-12-30 · skill"
    assert skill.run_id == runs[0].info.run_id and skill.run_url.endswith(skill.run_id)
    again = measure_skill(session, settings=skill_settings, request=request, closes=closes)
    assert again.cached and again.key == skill.key and len(skill_runs(skill_settings, skill.key)) == 1
    assert (again.mase, again.p_value, again.first_origin, again.run_url) == (
        skill.mase,
        skill.p_value,
        skill.first_origin,
        skill.run_url,
    )

    # Another horizon, window or a newer price is another configuration: a new backtest.
    longer = measure_skill(
        session,
        settings=skill_settings,
        request=SkillRequest.of(ticker="AAPL", model="drift", horizon=12, window=120),
        closes=closes,
    )
    older = measure_skill(session, settings=skill_settings, request=request, closes=closes.iloc[:-1])
    assert len({skill.key, longer.key, older.key}) == 3 and not longer.cached and not older.cached
    assert longer.horizon == 12 and older.data_end == closes.index[-2].date()


def test_hand_weights_are_judged_by_their_own_backtest(session, skill_settings, prices):
    closes = closes_of(prices, "MSFT")
    default = SkillRequest.of(ticker="MSFT", model="ensemble", horizon=5, models=["naive", "drift"])
    by_hand = SkillRequest.of(
        ticker="MSFT", model="ensemble", horizon=5, models=["naive", "drift"], weights={"naive": 1, "drift": 3}
    )
    assert dict(by_hand.weights) == {"naive": 0.25, "drift": 0.75}
    first = measure_skill(session, settings=skill_settings, request=default, closes=closes)
    second = measure_skill(session, settings=skill_settings, request=by_hand, closes=closes)
    assert first.key != second.key and first.mase != pytest.approx(second.mase)
    assert first.first_origin == second.first_origin and first.folds == second.folds == 4


def test_a_forecast_carries_its_own_skill_and_finds_it_again_in_the_cache(session, skill_settings, prices):
    options = {"ticker": "AAPL", "horizon": 6, "model": "ensemble", "models": ["naive", "drift"], "record": False}
    steps: list[tuple] = []
    measured = forecast(
        session, settings=skill_settings, measure_skill=True, progress=lambda *a: steps.append(a), **options
    )
    assert measured.skill is not None and measured.skill.horizon == 6 and measured.skill.model == "ensemble"
    assert any(len(step) == 3 and "Backtesting" in step[2] for step in steps), "the backtest reports its progress"
    later = forecast(session, settings=skill_settings, **options)
    assert later.skill is not None and later.skill.cached and later.skill.mase == measured.skill.mase
    # Its weights and dropped members are visible through the forecaster interface.
    weights = {m.name: m.weight for m in later.member_weights}
    assert set(weights) == {"naive", "drift"} and sum(weights.values()) == pytest.approx(1.0)
    # A horizon not backtested yet has no skill until it is measured (never another horizon's).
    other = forecast(session, settings=skill_settings, **{**options, "horizon": 9})
    assert other.skill is None


def test_a_series_too_short_for_the_backtest_still_forecasts_and_says_why(session, skill_settings, prices):
    result = forecast(
        session,
        settings=skill_settings,
        ticker="AAPL",
        horizon=5,
        model="drift",
        window=318,
        measure_skill=True,
        record=False,
    )
    assert result.skill is None and "could not be measured" in result.notice
    assert isinstance(result.frame, pd.DataFrame) and len(result.frame) == 5


def test_storing_a_skill_again_replaces_its_row(session, skill_settings, prices):
    from sqlalchemy import func, select

    from core.db.tables import ForecastSkillRecord
    from core.forecasting.skill_repository import find_skill, store_skill

    request = SkillRequest.of(ticker="MSFT", model="naive", horizon=3)
    skill = measure_skill(session, settings=skill_settings, request=request, closes=closes_of(prices, "MSFT"))
    store_skill(session, skill=skill.model_copy(update={"mase": 1.5}), config={"description": skill.description})
    count = session.scalar(
        select(func.count()).select_from(ForecastSkillRecord).where(ForecastSkillRecord.config_key == skill.key)
    )
    assert count == 1 and find_skill(session, key=skill.key).mase == 1.5


def test_the_skill_judges_the_intervals_against_naives_on_the_same_folds(session, skill_settings, prices):
    from core.forecasting.scores import interval_verdicts

    closes = closes_of(prices, "AAPL")
    request = SkillRequest.of(ticker="AAPL", model="drift", horizon=5)
    skill = measure_skill(session, settings=skill_settings, request=request, closes=closes)
    plan = plan_skill_backtest(len(closes), horizon=5, min_train=3, window=None, folds=4, span=30)
    factories = {"drift": forecaster_factory("drift"), "naive": forecaster_factory("naive")}
    expected = interval_verdicts(run_backtest({"AAPL": closes}, factories, plan))["drift"]
    assert skill.interval_skill == pytest.approx(expected.skill)
    assert skill.interval_p_value == pytest.approx(expected.p_value)
    assert skill.interval_verdict.label == expected.label
    # Stored with the rest, so the cached skill says the same.
    again = measure_skill(session, settings=skill_settings, request=request, closes=closes)
    assert again.cached and (again.interval_skill, again.interval_p_value) == (
        skill.interval_skill,
        skill.interval_p_value,
    )
    # Naive against itself has no interval skill to show.
    naive = measure_skill(
        session,
        settings=skill_settings,
        request=SkillRequest.of(ticker="AAPL", model="naive", horizon=5),
        closes=closes,
    )
    assert naive.interval_skill is None
