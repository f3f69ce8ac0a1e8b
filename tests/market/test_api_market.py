"""Market data through the real API: prices, tickers, uploads, watchlist."""

from __future__ import annotations


async def test_prices_and_tickers(api, api_prices):
    await api_prices("AAPL")
    headers = await api.signup()
    response = await api.client.get("/api/prices/aapl?start=2016-12-28&end=2016-12-30", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["ticker"] == "AAPL" and body["name"] == "Apple Inc."
    assert [bar["date"] for bar in body["prices"]] == ["2016-12-28", "2016-12-29", "2016-12-30"]
    assert body["prices"][-1]["close"] == 115.82

    missing = await api.client.get("/api/prices/ZZTOP", headers=headers)
    assert missing.status_code == 404 and "ZZTOP" in missing.json()["detail"]

    tickers = (await api.client.get("/api/tickers", headers=headers)).json()
    aapl = next(t for t in tickers if t["symbol"] == "AAPL")
    assert aapl["sector"] == "Information Technology" and aapl["last_date"] == "2016-12-30"
    assert (await api.client.get("/api/tickers/ZZTOP", headers=headers)).status_code == 404


async def test_price_upload(api):
    headers = await api.signup()
    bad = b"date,open,high,low,close,volume\n2017-01-03,1,2,0.5,1.5,10\n2017-01-04,1,2,0.5,oops,10\n"
    response = await api.client.post(
        "/api/prices/import", files={"file": ("p.csv", bad, "text/csv")}, data={"ticker": "MINE"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"row": 3, "column": "close", "reason": "'oops' is not a number"}]
    assert (await api.client.get("/api/prices/MINE", headers=headers)).status_code == 404

    good = bad.replace(b"oops", b"1.7")
    created = await api.client.post(
        "/api/prices/import", files={"file": ("p.csv", good, "text/csv")}, data={"ticker": "MINE"}, headers=headers
    )
    assert created.status_code == 201 and created.json() == {"tickers": ["MINE"], "rows_imported": 2}
    assert len((await api.client.get("/api/prices/MINE", headers=headers)).json()["prices"]) == 2


async def test_watchlist_api(api, api_prices):
    await api_prices("KO")
    headers = await api.signup()
    assert (await api.client.post("/api/watchlist", json={"ticker": "ko"}, headers=headers)).status_code == 201
    assert (await api.client.post("/api/watchlist", json={"ticker": "KO"}, headers=headers)).status_code == 409
    unknown = await api.client.post("/api/watchlist", json={"ticker": "NOPE"}, headers=headers)
    assert unknown.status_code == 422 and "NOPE" in unknown.json()["detail"]
    [item] = (await api.client.get("/api/watchlist", headers=headers)).json()
    assert item["ticker"] == "KO" and item["last_price"] == 41.46
    assert (await api.client.delete("/api/watchlist/KO", headers=headers)).status_code == 204
