"""Activities, cash, closed positions and income through the real API (SQLite and PostgreSQL)."""

from __future__ import annotations

from core.portfolio.pricing import unknown_ticker_message


async def test_record_edit_and_delete_activities(api, api_prices):
    await api_prices("MSFT")
    headers = await api.signup()
    url = "/api/portfolio/transactions"
    no_date = await api.client.post(
        url, json={"ticker": "MSFT", "type": "buy", "quantity": 1, "price": 50}, headers=headers
    )
    assert no_date.status_code == 422 and "date" in str(no_date.json()["detail"])

    buy = {"date": "2016-01-04", "ticker": "MSFT", "type": "buy", "quantity": 10, "price": 54.8, "fee": 1}
    first = (await api.client.post(url, json=buy, headers=headers)).json()
    more = buy | {"date": "2016-02-01", "quantity": 5, "price": 50.16}
    assert (await api.client.post(url, json=more, headers=headers)).status_code == 201
    sell = {"date": "2016-06-01", "ticker": "MSFT", "type": "sell", "quantity": 12, "price": 52.85, "fee": 1}
    sold = await api.client.post(url, json=sell, headers=headers)
    assert sold.status_code == 201, sold.text

    refused = await api.client.put(f"{url}/{first['id']}", json={"quantity": 3}, headers=headers)
    assert refused.status_code == 422
    assert "cannot sell 12 MSFT on 2016-06-01: only 8 held then" in refused.json()["detail"]
    not_deleted = await api.client.delete(f"{url}/{first['id']}", headers=headers)
    assert not_deleted.status_code == 422 and "2016-06-01" in not_deleted.json()["detail"]

    changed = await api.client.put(f"{url}/{first['id']}", json={"quantity": 20}, headers=headers)
    assert changed.status_code == 200 and changed.json()["quantity"] == 20 and changed.json()["price"] == 54.8
    assert (await api.client.get(f"{url}/{first['id']}", headers=headers)).json()["quantity"] == 20
    other = await api.signup()
    assert (await api.client.get(f"{url}/{first['id']}", headers=other)).status_code == 404
    assert (await api.client.delete(f"{url}/{first['id']}", headers=other)).status_code == 404

    holdings = (await api.client.get("/api/portfolio", headers=headers)).json()["items"]
    assert [(h["ticker"], h["quantity"]) for h in holdings] == [("MSFT", 13)]
    assert (await api.client.delete(f"{url}/{sold.json()['id']}", headers=headers)).status_code == 204
    holdings = (await api.client.get("/api/portfolio", headers=headers)).json()["items"]
    assert [(h["ticker"], h["quantity"]) for h in holdings] == [("MSFT", 25)]


async def test_cash_closed_positions_and_income(api, api_prices):
    await api_prices("KO")
    headers = await api.signup()
    url = "/api/portfolio/transactions"
    for body in [
        {"date": "2016-01-04", "type": "deposit", "amount": 5000},
        {"date": "2016-01-04", "ticker": "KO", "type": "buy", "quantity": 100, "price": 42.0, "fee": 5},
        {"date": "2016-04-01", "ticker": "KO", "type": "dividend", "amount": 35},
        {"date": "2016-05-02", "ticker": "KO", "type": "fee", "amount": 2.5},
        {"date": "2016-06-01", "ticker": "KO", "type": "sell", "quantity": 100, "price": 45.0, "fee": 5},
        {"date": "2016-07-01", "type": "withdrawal", "amount": 1000},
    ]:
        response = await api.client.post(url, json=body, headers=headers)
        assert response.status_code == 201, response.text
    overdrawn = await api.client.post(
        url, json={"date": "2016-08-01", "type": "withdrawal", "amount": 9000}, headers=headers
    )
    assert overdrawn.status_code == 422 and "at the end of 2016-08-01" in overdrawn.json()["detail"]

    cash = (await api.client.get("/api/portfolio/cash", headers=headers)).json()
    expected_cash = 5000 - 4205 + 35 - 2.5 + 4495 - 1000
    assert cash["tracked"] is True and abs(cash["balance"] - expected_cash) < 1e-9
    (closed,) = (await api.client.get("/api/portfolio/closed", headers=headers)).json()
    assert closed["ticker"] == "KO" and closed["quantity_sold"] == 100
    assert abs(closed["realized_pnl"] - (4495 - 4205 + 35 - 2.5)) < 1e-9
    assert (closed["opened_at"], closed["closed_at"]) == ("2016-01-04", "2016-06-01")
    summary = (await api.client.get("/api/portfolio/summary", headers=headers)).json()
    assert summary["holdings"] == [] and abs(summary["realized_pnl"] - closed["realized_pnl"]) < 1e-9
    assert abs(summary["total_value"] - expected_cash) < 1e-9 and summary["cash_tracked"] is True
    income = (await api.client.get("/api/portfolio/income", params={"freq": "Y"}, headers=headers)).json()
    assert [(p["period"], p["dividends"], p["fees"], p["commissions"]) for p in income["periods"]] == [
        ("2016", 35.0, 2.5, 10.0)
    ]
    assert (await api.client.get("/api/portfolio/income", params={"freq": "W"}, headers=headers)).status_code == 422


async def test_an_unpriced_ticker_is_refused_the_same_way_everywhere(api):
    headers = await api.signup()
    message = unknown_ticker_message("ZZZZ")
    holding = await api.client.post(
        "/api/portfolio/stock", json={"ticker": "ZZZZ", "quantity": 1, "avg_cost": 1}, headers=headers
    )
    assert holding.status_code == 422 and holding.json()["detail"] == message
    activity = {"date": "2016-01-04", "ticker": "ZZZZ", "type": "buy", "quantity": 1, "price": 1}
    recorded = await api.client.post("/api/portfolio/transactions", json=activity, headers=headers)
    assert recorded.status_code == 422 and recorded.json()["detail"] == message
    csv = b"date,ticker,type,quantity,price,fee\n2016-01-04,ZZZZ,buy,1,1,0\n"
    imported = await api.client.post(
        "/api/portfolio/transactions/import", files={"file": ("tx.csv", csv, "text/csv")}, headers=headers
    )
    assert imported.status_code == 422 and imported.json()["errors"][0]["reason"] == message
    summary = (await api.client.get("/api/portfolio/summary", headers=headers)).json()
    assert summary["market_value"] == 0 and summary["holdings"] == []


async def test_an_id_is_never_given_again_after_a_delete(api, api_prices):
    await api_prices("MSFT")
    headers = await api.signup()
    url = "/api/portfolio/transactions"
    buy = {"date": "2016-01-04", "ticker": "MSFT", "type": "buy", "quantity": 1, "price": 54.8}
    newest = (await api.client.post(url, json=buy, headers=headers)).json()["id"]
    assert (await api.client.delete(f"{url}/{newest}", headers=headers)).status_code == 204

    again = (await api.client.post(url, json=buy, headers=headers)).json()["id"]

    assert again > newest


async def test_an_unknown_field_is_refused_not_ignored(api):
    refused = await api.client.post(
        "/api/users", json={"email": "x-unknown@example.com", "password": "correct-horse-1", "is_admin": True}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "is_admin"]
