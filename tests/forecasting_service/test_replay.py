"""The replay: weekly origins over the last months, each forecast made from the prices up to
its origin only, stored once, marked replayed, scored, and served by the accuracy API."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from sqlalchemy import func, select

from core.db.tables import PredictionHistory
from core.forecasting.accuracy import realised_accuracy, update_realised
from core.forecasting.replay import ReplayConfig, refit_blocks, replay_origins, replay_series, replay_ticker
from models.catalog import create_forecaster
from tests.forecasting_service.synthetic import CHEAP, synthetic_closes, synthetic_prices
from tests.tracking.fixtures import store_prices


def test_origins_are_the_last_session_of_each_week_over_the_last_months():
    closes = synthetic_closes()
    origins = replay_origins(closes, CHEAP)
    assert all(day.dayofweek == 4 for day in origins)  # business days: every week ends on a Friday
    assert np.all(np.diff([o.value for o in origins]) == 7 * 86_400 * 10**9)  # one per week, none missing
    assert len({o.to_period("M") for o in origins}) == CHEAP.months
    # The last origin is the last complete week whose horizon is stored.
    last = closes.index.get_loc(origins[-1])
    assert last + CHEAP.horizon <= len(closes) - 1 and closes.index[last + 1 :][:5].dayofweek.tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]
    blocks = refit_blocks(origins, CHEAP.refit_months)
    assert [o for block in blocks for o in block] == origins
    assert all(len({(o.year * 12 + o.month - 1) // 2 for o in block}) == 1 for block in blocks)


def test_a_replayed_forecast_uses_only_the_prices_up_to_its_origin():
    closes = synthetic_closes()
    config = ReplayConfig(members=("naive", "drift"), months=4, refit_months=2)
    before = replay_series(closes, config)
    cut = before[len(before) // 2].origin
    # Rewrite history after the cut: a crash of 30 % and different noise.
    rng = np.random.default_rng(99)
    later = closes.index > cut
    mutated = closes.copy()
    mutated[later] = closes[later] * 0.7 * np.exp(rng.normal(0, 0.02, later.sum()))
    after = replay_series(mutated, config)
    assert [f.origin for f in after] == [f.origin for f in before]
    for old, new in zip(before, after, strict=True):
        if old.origin <= cut:
            pdt.assert_frame_equal(old.frame, new.frame)
            assert old.members.keys() == new.members.keys()
            for name in old.members:
                pdt.assert_frame_equal(old.members[name], new.members[name])
        else:
            assert not np.allclose(old.frame["mean"], new.frame["mean"])  # the test can fail
    # Each forecast is its block's fit, conditioned on the closes up to its own origin.
    for made in before:
        fitted = create_forecaster("ensemble", members=["naive", "drift"]).fit(closes.loc[: made.fitted_at])
        expected = copy.deepcopy(fitted).update(closes.loc[: made.origin]).predict(config.horizon)
        pdt.assert_frame_equal(made.frame, expected)
        assert made.frame["date"].iloc[0] > made.origin and made.fitted_at <= made.origin


def test_replay_stores_marked_forecasts_once_and_they_are_scored(session):
    closes = synthetic_closes()
    store_prices(session, synthetic_prices("SYNA", closes))
    config = ReplayConfig(members=("naive", "drift"), months=3, refit_months=3)
    first = replay_ticker(session, ticker="SYNA", config=config)
    assert first.replayed == first.origins == len(replay_origins(closes, config)) > 10
    rows = session.scalars(select(PredictionHistory).where(PredictionHistory.ticker == "SYNA")).all()
    assert len(rows) == first.rows and all(r.replayed and r.user_id is None for r in rows)
    assert {r.model_version for r in rows if r.model == "ensemble"} == {config.version}
    assert {r.model_version for r in rows if r.model != "ensemble"} <= {f"ensemble:{config.version}"}
    again = replay_ticker(session, ticker="SYNA", config=config)
    assert (again.replayed, again.rows) == (0, 0)  # idempotent

    assert update_realised(session) == first.rows  # every target date is stored
    table = realised_accuracy(session, ticker="SYNA", replayed=True)
    ensemble = table[table["model"] == "ensemble"].iloc[0]
    assert ensemble["n"] == first.origins * config.horizon and bool(ensemble["replayed"])
    stored = pd.DataFrame(
        session.execute(
            select(PredictionHistory.predicted_value, PredictionHistory.realised_value).where(
                PredictionHistory.ticker == "SYNA", PredictionHistory.model == "ensemble"
            )
        ).all()
    )
    assert ensemble["mae"] == pytest.approx((stored["realised_value"] - stored["predicted_value"]).abs().mean())
    assert realised_accuracy(session, ticker="SYNA", replayed=False).empty


async def test_the_accuracy_api_returns_the_replay_and_only_the_callers_own_forecasts(api):
    closes = synthetic_closes(400)
    prices = synthetic_prices("SYNB", closes)
    cutoff = closes.index[-11]
    await api.run(store_prices, frame=prices[prices["date"] <= cutoff])
    alice, bob = await api.signup(), await api.signup()
    for headers in (alice, bob):
        made = await api.client.get(
            "/api/forecast/SYNB", params={"horizon": 5, "model": "naive", "window": 120}, headers=headers
        )
        assert made.status_code == 200, made.text
    await api.run(store_prices, frame=prices[prices["date"] > cutoff])
    config = ReplayConfig(members=("naive", "drift"), months=2, refit_months=2)
    replayed = await api.run(replay_ticker, ticker="SYNB", config=config)
    await api.run(update_realised)

    response = await api.client.get("/api/forecast/accuracy", params={"ticker": "SYNB"}, headers=alice)
    assert response.status_code == 200, response.text
    rows = {(r["model"], r["replayed"]): r for r in response.json()}
    assert rows[("ensemble", True)]["n"] == replayed.origins * config.horizon
    assert rows[("naive", False)]["n"] == 5  # Alice's forecast only, not Bob's as well
    assert all(r["ticker"] == "SYNB" for r in rows.values())
    only_replayed = await api.client.get("/api/forecast/accuracy", params={"replayed": "true"}, headers=bob)
    assert {r["replayed"] for r in only_replayed.json()} == {True}
    assert {r["model"] for r in only_replayed.json()} >= {"ensemble", "naive"}
    other = await api.client.get("/api/forecast/accuracy", params={"ticker": "AAPL"}, headers=alice)
    assert other.json() == []
    count = await api.run(lambda session: session.scalar(select(func.count()).select_from(PredictionHistory)))
    assert count > len(rows)
