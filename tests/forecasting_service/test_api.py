"""The forecast routes through the real app."""

from __future__ import annotations

import anyio

from tests.tracking.fixtures import read_test_prices, store_prices


async def test_forecast_and_accuracy_routes(api):
    headers = await api.signup()
    await api.run(store_prices, frame=read_test_prices())
    response = await api.client.get(
        "/api/forecast/AAPL", params={"horizon": 3, "model": "naive", "window": 120, "skill": False}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["ticker"], body["source"], body["model_version"], body["origin"]) == (
        "AAPL",
        "trained",
        "what-if",
        "2016-12-30",
    )
    assert [p["date"] for p in body["points"]] == ["2017-01-03", "2017-01-04", "2017-01-05"]

    accuracy = await api.client.get("/api/forecast/accuracy", headers=headers)
    assert accuracy.status_code == 200 and accuracy.json() == []
    missing = await api.client.get("/api/forecast/ZZZZ", params={"window": 50}, headers=headers)
    assert missing.status_code == 404 and "ZZZZ" in missing.text
    assert (await api.client.get("/api/forecast/AAPL")).status_code == 401


async def poll_skill(api, headers, params, *, polls=600):
    """Poll the skill route until it answers "ready" (202 with progress meanwhile)."""
    seen = []
    for _ in range(polls):
        response = await api.client.get("/api/forecast/AAPL/skill", params=params, headers=headers)
        assert response.status_code in (200, 202), response.text
        body = response.json()
        seen.append(response.status_code)
        if body["status"] == "ready":
            assert response.status_code == 200 and body["skill"] is not None
            return body["skill"], seen
        assert body["skill"] is None and body["total"] >= body["done"] >= 0
        await anyio.sleep(0.1)
    raise AssertionError("the skill was never ready")


async def test_a_forecast_answers_at_once_and_the_skill_of_its_exact_configuration_follows(api, settings):
    from core.forecasting.serving import load_closes
    from core.forecasting.skill import SkillRequest, measure_skill

    headers = await api.signup()
    await api.run(store_prices, frame=read_test_prices())
    base = {"horizon": 4, "model": "ensemble", "models": "naive,drift", "window": 200}
    by_hand = (
        await api.client.get("/api/forecast/AAPL", params={**base, "weights": "naive:1,drift:3"}, headers=headers)
    ).json()
    default = (await api.client.get("/api/forecast/AAPL", params=base, headers=headers)).json()
    # The forecast does not wait for its skill: none is stored yet, so it is pending.
    assert (by_hand["skill"], by_hand["skill_status"]) == (None, "pending")
    assert (default["skill"], default["skill_status"]) == (None, "pending")
    by_hand["skill"], polls = await poll_skill(api, headers, {**base, "weights": "naive:1,drift:3"})
    assert polls[0] == 202, "the first poll starts the backtest"
    default["skill"], _ = await poll_skill(api, headers, base)
    # Once measured, the forecast carries it at once.
    again = (await api.client.get("/api/forecast/AAPL", params=base, headers=headers)).json()
    assert again["skill_status"] == "ready" and again["skill"]["cached"]
    assert {**again["skill"], "cached": False} == default["skill"]

    # The member block: hand weights in proportion; default weights from the inner backtest.
    assert {m["name"]: m["weight"] for m in by_hand["members"]} == {"naive": 0.25, "drift": 0.75}
    assert {m["name"] for m in default["members"]} == {"naive", "drift"}

    # The skill block is the skill service's for exactly this configuration (cached by the request).
    def skill_of(session, **weights):
        request = SkillRequest.of(
            ticker="AAPL", model="ensemble", horizon=4, window=200, models=["naive", "drift"], weights=weights or None
        )
        return measure_skill(session, settings=settings, request=request, closes=load_closes(session, "AAPL")[1])

    expected_by_hand = await api.run(skill_of, naive=1, drift=3)
    expected_default = await api.run(skill_of)
    for body, expected in ((by_hand, expected_by_hand), (default, expected_default)):
        skill = body["skill"]
        assert expected.cached, "the route measured and stored it; the service finds it"
        assert (skill["horizon"], skill["window"], skill["folds"]) == (4, 200, expected.folds)
        assert (skill["first_origin"], skill["last_origin"]) == (
            expected.first_origin.isoformat(),
            expected.last_origin.isoformat(),
        )
        assert skill["mase"] == expected.mase and skill["p_value"] == expected.p_value
        assert skill["text"] == expected.text() and skill["verdict"] == expected.verdict.label
        assert skill["folds"] >= 20 and skill["last_origin"] == "2016-12-23"
    assert by_hand["skill"]["mase"] != default["skill"]["mase"]

    bad = await api.client.get("/api/forecast/AAPL", params={**base, "weights": "naive:lots"}, headers=headers)
    assert bad.status_code == 422 and "name:number" in bad.text


async def test_a_forecast_asked_for_nothing_else_is_the_champion_configuration_s(api, settings):
    from core.forecasting.champion import champion_config

    champion = champion_config(settings)
    headers = await api.signup()
    await api.run(store_prices, frame=read_test_prices())
    body = (await api.client.get("/api/forecast/MSFT", headers=headers)).json()
    assert (body["model"], len(body["points"])) == (champion.model, champion.horizon)
    assert {m["name"] for m in body["members"]} <= set(champion.members) and body["members"]
    # Not registered yet: fitted now, answered at once, its skill left to the skill route.
    assert (body["source"], body["skill_status"]) == ("trained", "pending")
