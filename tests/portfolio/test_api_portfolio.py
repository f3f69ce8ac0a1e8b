"""Portfolio analytics, transactions and alerts through the real API."""

from __future__ import annotations

CSV = b"""date,ticker,type,quantity,price,fee
2016-01-04,AAPL,buy,10,105.35,4.95
2016-02-01,KO,buy,20,42.5,4.95
2016-04-01,KO,dividend,20,0.35,0
2016-06-01,AAPL,sell,4,98.46,4.95
"""


async def test_import_then_summary_and_performance(api, api_prices):
    await api_prices("AAPL", "KO")
    headers = await api.signup()
    imported = await api.client.post(
        "/api/portfolio/transactions/import", files={"file": ("tx.csv", CSV, "text/csv")}, headers=headers
    )
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"imported": 4, "tickers": ["AAPL", "KO"]}

    summary = (await api.client.get("/api/portfolio/summary", headers=headers)).json()
    for key in ("market_value", "cost_basis", "unrealized_pnl", "realized_pnl", "day_change"):
        assert isinstance(summary[key], float)
    assert [h["ticker"] for h in summary["holdings"]] == ["AAPL", "KO"]
    assert summary["holdings"][0]["quantity"] == 6 and summary["holdings"][0]["last_price"] == 115.82
    assert set(summary["allocation_by_sector"]) == {"Information Technology", "Consumer Staples"}

    performance = await api.client.get(
        "/api/portfolio/performance",
        params={"start": "2016-01-01", "end": "2016-12-31", "benchmark": "KO"},
        headers=headers,
    )
    assert performance.status_code == 200, performance.text
    body = performance.json()
    for key in ("twr", "xirr", "benchmark_twr", "volatility", "max_drawdown", "sharpe", "beta"):
        assert isinstance(body[key], float), key
    assert body["series"][0] == {"date": "2016-01-04", "value": 1053.5}  # 10 × the 2016-01-04 close, 105.35

    legacy = (await api.client.get("/api/portfolio", headers=headers)).json()
    assert {item["ticker"]: item["quantity"] for item in legacy["items"]} == {"AAPL": 6, "KO": 20}

    exported = await api.client.get("/api/portfolio/transactions/export", headers=headers)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[1] == "2016-01-04,AAPL,buy,10,105.35,4.95,0.0"


async def test_bad_file_gets_a_row_report(api, api_prices):
    await api_prices("AAPL")
    headers = await api.signup()
    bad = b"date,ticker,type,quantity,price,fee\n2016-01-04,AAPL,sell,1,1,0\n2016-01-05,FAKE,buy,1,1,0\n"
    response = await api.client.post(
        "/api/portfolio/transactions/import", files={"file": ("bad.csv", bad, "text/csv")}, headers=headers
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "quantity"), (3, "ticker")]
    assert "FAKE" in errors[1]["reason"]
    assert (await api.client.get("/api/portfolio/transactions", headers=headers)).json()["total"] == 0


async def test_transactions_api_and_oversell(api, api_prices):
    await api_prices("MSFT")
    headers = await api.signup()
    buy = {"date": "2016-03-01", "ticker": "msft", "type": "buy", "quantity": 5, "price": 50.5, "fee": 1}
    created = await api.client.post("/api/portfolio/transactions", json=buy, headers=headers)
    assert created.status_code == 201 and created.json()["ticker"] == "MSFT"
    sell = buy | {"type": "sell", "quantity": 6, "date": "2016-04-01"}
    refused = await api.client.post("/api/portfolio/transactions", json=sell, headers=headers)
    assert refused.status_code == 422 and "only 5 held" in refused.json()["detail"]
    unknown = await api.client.post("/api/portfolio/transactions", json=buy | {"ticker": "NOPE"}, headers=headers)
    assert unknown.status_code == 422 and "NOPE" in unknown.json()["detail"]
    page = (await api.client.get("/api/portfolio/transactions", headers=headers)).json()
    assert page["total"] == 1 and page["items"][0]["price"] == 50.5


async def test_hand_added_holding_shows_in_the_ledger(api, api_prices):
    await api_prices("GE")
    headers = await api.signup()
    body = {"ticker": "GE", "quantity": 3, "avg_cost": 25, "opened_at": "2016-06-01"}
    assert (await api.client.post("/api/portfolio/stock", json=body, headers=headers)).status_code == 201
    items = (await api.client.get("/api/portfolio/transactions", headers=headers)).json()["items"]
    assert [(i["type"], i["quantity"], i["price"], i["date"]) for i in items] == [("buy", 3, 25, "2016-06-01")]
    summary = (await api.client.get("/api/portfolio/summary", headers=headers)).json()
    assert summary["cost_basis"] == 75 and summary["holdings"][0]["market_value"] > 0


async def test_alerts_api(api, api_prices):
    await api_prices("NVDA")
    alice, bob = await api.signup(), await api.signup()
    created = await api.client.post(
        "/api/alerts", json={"ticker": "NVDA", "kind": "above", "threshold": 100}, headers=alice
    )
    assert created.status_code == 201 and created.json()["triggered"] is False
    alert_id = created.json()["id"]
    assert (await api.client.get("/api/alerts", headers=bob)).json() == []
    assert (await api.client.delete(f"/api/alerts/{alert_id}", headers=bob)).status_code == 404
    bad = await api.client.post(
        "/api/alerts", json={"ticker": "NVDA", "kind": "sideways", "threshold": 1}, headers=alice
    )
    assert bad.status_code == 422
    assert (await api.client.delete(f"/api/alerts/{alert_id}", headers=alice)).status_code == 204
    assert (await api.client.get("/api/alerts", headers=alice)).json() == []


async def test_requires_login(api):
    assert (await api.client.get("/api/portfolio/summary")).status_code == 401


async def test_projection_gives_ordered_quantiles_and_tail_risk(api, api_prices):
    await api_prices("AAPL", "KO")
    headers = await api.signup()
    empty = await api.client.get("/api/portfolio/projection", headers=headers)
    assert empty.status_code == 422 and "no holdings" in empty.json()["detail"]

    await api.client.post(
        "/api/portfolio/transactions/import", files={"file": ("tx.csv", CSV, "text/csv")}, headers=headers
    )
    response = await api.client.get(
        "/api/portfolio/projection", params={"horizon": 10, "confidence": 0.95, "model": "naive"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    summary = (await api.client.get("/api/portfolio/summary", headers=headers)).json()
    assert body["current_value"] == summary["market_value"]
    quantiles = [body["quantiles"][q] for q in sorted(body["quantiles"], key=float)]
    assert quantiles == sorted(quantiles) and quantiles[0] < body["current_value"] < quantiles[-1]
    assert 0 < body["value_at_risk"] <= body["expected_shortfall"] < body["current_value"]
