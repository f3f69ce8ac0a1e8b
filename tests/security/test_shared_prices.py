"""Shared prices belong to admins: an analyst's price file can bring a ticker nobody has, but
never move the bars another user's portfolio is valued on (issue 21)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db.tables import Price, User
from core.market.service import load_bundled_prices
from tests.factories import make_holding
from tests.security.conftest import bearer

FAKE_NEXT_BAR = b"date,open,high,low,close,volume\n2017-01-03,1,1,1,1,100\n"  # after the last stored close
FAKE_LAST_BAR = b"date,open,high,low,close,volume\n2016-12-30,1,1,1,1,100\n"  # rewrites the last stored close


async def _upload(api, settings, person, content: bytes, ticker: str):
    files = {"file": ("prices.csv", content, "text/csv")}
    return await api.client.post(
        "/api/prices/import", files=files, data={"ticker": ticker}, headers=bearer(settings, person)
    )


async def _value(api, settings, person) -> float:
    response = await api.client.get("/api/portfolio/summary", headers=bearer(settings, person))
    assert response.status_code == 200, response.text
    return response.json()["market_value"]


async def test_an_analyst_cannot_move_the_value_of_another_users_portfolio(api, settings, users):
    await api.run(load_bundled_prices, settings=settings, tickers=["AAPL"])
    holder = users["other"]
    await api.run(lambda s: make_holding(s, owner=s.get(User, holder.id), ticker="AAPL", quantity=100, avg_cost=90.0))
    before = await _value(api, settings, holder)
    assert before == 100 * 115.82  # AAPL's last bundled close

    for content in (FAKE_NEXT_BAR, FAKE_LAST_BAR):
        refused = await _upload(api, settings, users["analyst"], content, "AAPL")
        assert refused.status_code == 403
        assert refused.json()["detail"].startswith("AAPL already has stored prices")
        assert "only an admin" in refused.json()["detail"]
        assert await _value(api, settings, holder) == before

    stored = await api.run(lambda s: s.scalar(select(func.count()).select_from(Price).where(Price.ticker == "AAPL")))
    assert stored == 982  # no bar added either

    accepted = await _upload(api, settings, users["admin"], FAKE_NEXT_BAR, "AAPL")
    assert accepted.status_code == 201 and accepted.json()["rows_imported"] == 1
    assert await _value(api, settings, holder) == 100 * 1.0  # an admin's correction does move it


async def test_an_analyst_may_bring_a_ticker_nobody_has(api, settings, users):
    created = await _upload(api, settings, users["analyst"], FAKE_NEXT_BAR, "NEWCO")
    assert created.status_code == 201 and created.json() == {"tickers": ["NEWCO"], "rows_imported": 1}
    again = await _upload(api, settings, users["analyst"], FAKE_LAST_BAR, "NEWCO")
    assert again.status_code == 403 and "NEWCO" in again.json()["detail"]
    assert (await _upload(api, settings, users["viewer"], FAKE_NEXT_BAR, "OTHERCO")).status_code == 403
