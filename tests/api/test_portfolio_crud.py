"""Holdings CRUD over the API, isolation between users, validation."""

from __future__ import annotations

import pytest


async def test_crud_flow(api, api_prices):
    await api_prices("AAPL")
    headers = await api.signup()
    created = await api.client.post(
        "/api/portfolio/stock",
        json={"ticker": "aapl", "quantity": 10, "avg_cost": 120.5, "opened_at": "2016-01-04", "notes": "core"},
        headers=headers,
    )
    assert created.status_code == 201
    stock = created.json()
    assert stock["ticker"] == "AAPL" and stock["quantity"] == 10 and stock["currency"] == "USD"

    listing = (await api.client.get("/api/portfolio", headers=headers)).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == stock["id"]
    assert (await api.client.get("/portfolio", headers=headers)).json()["total"] == 1

    # Quantity comes from the activities: editing it here would rewrite the buy.
    refused = await api.client.put(f"/api/portfolio/stock/{stock['id']}", json={"quantity": 12}, headers=headers)
    assert refused.status_code == 409 and "record a buy or sell of AAPL" in refused.json()["detail"]
    updated = await api.client.put(f"/api/portfolio/stock/{stock['id']}", json={"notes": "long"}, headers=headers)
    assert updated.status_code == 200
    assert (updated.json()["quantity"], updated.json()["avg_cost"], updated.json()["notes"]) == (10, 120.5, "long")

    assert (await api.client.delete(f"/api/portfolio/stock/{stock['id']}", headers=headers)).status_code == 204
    assert (await api.client.get(f"/api/portfolio/stock/{stock['id']}", headers=headers)).status_code == 404


async def test_pagination(api, api_prices):
    await api_prices("MSFT", "AAPL", "JPM")
    headers = await api.signup()
    for ticker in ["MSFT", "AAPL", "JPM"]:
        await api.client.post(
            "/api/portfolio/stock", json={"ticker": ticker, "quantity": 1, "avg_cost": 1}, headers=headers
        )
    page = (await api.client.get("/api/portfolio?limit=2&offset=1", headers=headers)).json()
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 1
    assert [item["ticker"] for item in page["items"]] == ["JPM", "MSFT"]
    for limit, offset, shown in [(5, 0, 3), (3, 0, 3), (2, 0, 2), (1, 2, 1), (2, 5, 0)]:
        page = (await api.client.get(f"/api/portfolio?limit={limit}&offset={offset}", headers=headers)).json()
        assert (page["total"], len(page["items"])) == (3, shown), (limit, offset)


async def test_other_users_cannot_see_or_touch_holdings(api, api_prices):
    await api_prices("GE")
    alice = await api.signup("alice@example.com")
    bob = await api.signup("bob@example.com")
    stock = (
        await api.client.post(
            "/api/portfolio/stock", json={"ticker": "GE", "quantity": 5, "avg_cost": 30}, headers=alice
        )
    ).json()
    url = f"/api/portfolio/stock/{stock['id']}"
    assert (await api.client.get(url, headers=bob)).status_code == 404
    assert (await api.client.put(url, json={"quantity": 1}, headers=bob)).status_code == 404
    assert (await api.client.delete(url, headers=bob)).status_code == 404
    assert (await api.client.get("/api/portfolio", headers=bob)).json()["total"] == 0
    assert (await api.client.get(url, headers=alice)).json()["quantity"] == 5


async def test_duplicate_ticker_is_409(api, api_prices):
    await api_prices("KO")
    headers = await api.signup()
    body = {"ticker": "KO", "quantity": 1, "avg_cost": 40}
    assert (await api.client.post("/api/portfolio/stock", json=body, headers=headers)).status_code == 201
    assert (await api.client.post("/api/portfolio/stock", json=body, headers=headers)).status_code == 409
    assert (await api.client.get("/api/portfolio", headers=headers)).json()["total"] == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ticker": "AAPL", "quantity": -1, "avg_cost": 1}, "quantity"),
        ({"ticker": "AAPL", "quantity": 0, "avg_cost": 1}, "quantity"),
        ({"ticker": "AAPL", "quantity": 1, "avg_cost": -0.01}, "avg_cost"),
        ({"ticker": "not a ticker!", "quantity": 1, "avg_cost": 1}, "ticker"),
        ({"ticker": "AAPL", "quantity": 1, "avg_cost": 1, "currency": "dollars"}, "currency"),
    ],
)
async def test_validation_names_the_field(api, payload, field):
    headers = await api.signup()
    response = await api.client.post("/api/portfolio/stock", json=payload, headers=headers)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


async def test_viewer_is_read_only(api):
    await api.signup("admin@example.com")
    viewer = await api.signup("viewer@example.com")
    admin = await api.login("admin@example.com", "correct-horse-1")
    me = (await api.client.get("/api/auth/me", headers=viewer)).json()
    await api.client.put(f"/api/users/{me['id']}", json={"role": "viewer"}, headers=admin)
    assert (await api.client.get("/api/portfolio", headers=viewer)).status_code == 401  # a role change ends log-ins
    viewer = await api.login("viewer@example.com", "correct-horse-1")
    response = await api.client.post(
        "/api/portfolio/stock", json={"ticker": "KO", "quantity": 1, "avg_cost": 1}, headers=viewer
    )
    assert response.status_code == 403
    assert (await api.client.get("/api/portfolio", headers=viewer)).status_code == 200
