"""The retrain job's precomputation: the champion configuration's forecast and skill of every
held or watched ticker, so the pages and the API answer both at once."""

from __future__ import annotations

import pytest

from core.db.session import OneSession
from core.forecasting.delivery import read_inputs, served_request
from core.forecasting.warming import warm_champions
from core.portfolio.alerts import add_to_watchlist
from core.portfolio.schemas import WatchlistItemCreate
from tests.factories import make_user
from tests.tracking.fixtures import store_prices


@pytest.fixture
def skill_settings(tracking_settings):
    return tracking_settings.model_copy(update={"skill_folds": 3, "skill_span": 20, "backtest_workers": 1})


def test_watched_tickers_get_the_champion_s_forecast_and_skill_and_others_nothing(session, skill_settings, test_prices):
    store_prices(session, test_prices)
    analyst = make_user(session)
    add_to_watchlist(session, owner=analyst, data=WatchlistItemCreate(ticker="AAPL"))
    champion_request = served_request(skill_settings, ticker="AAPL")
    assert read_inputs(session, settings=skill_settings, request=champion_request).skill is None

    first = warm_champions(OneSession(session), settings=skill_settings)
    assert set(first) == {"AAPL"}, "only held or watched tickers are precomputed"
    assert first["AAPL"]["skill"] == "measured" and first["AAPL"]["forecast"] == "trained"
    # What a page asking for the default forecast now finds at once: the champion's skill.
    stored = read_inputs(session, settings=skill_settings, request=champion_request).skill
    assert stored is not None and (stored.model, stored.horizon) == ("ensemble", 10)
    assert warm_champions(OneSession(session), settings=skill_settings)["AAPL"]["skill"] == "stored"
