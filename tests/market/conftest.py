"""Market fixtures: load a few bundled tickers into the test's (rolled-back) transaction."""

from __future__ import annotations

import pytest

from core.market.service import load_bundled_prices


@pytest.fixture
def load_prices(session, settings):
    """`load_prices("AAPL", "MSFT")` stores those bundled tickers; returns rows inserted."""

    def load(*tickers: str) -> int:
        return load_bundled_prices(session, settings=settings, tickers=list(tickers))

    return load


@pytest.fixture
async def api_prices(api, settings):
    """The same for API tests: `await api_prices("AAPL")` inside the API test's transaction."""

    async def load(*tickers: str) -> int:
        return await api.run(load_bundled_prices, settings=settings, tickers=list(tickers))

    return load
