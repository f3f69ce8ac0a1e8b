"""The forecast routes through the real app."""

from __future__ import annotations

from tests.tracking.fixtures import read_test_prices, store_prices


async def test_forecast_and_accuracy_routes(api):
    headers = await api.signup()
    await api.run(store_prices, frame=read_test_prices())
    response = await api.client.get(
        "/api/forecast/AAPL", params={"horizon": 3, "model": "naive", "window": 120}, headers=headers
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
