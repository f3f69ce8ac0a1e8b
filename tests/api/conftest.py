from tests.market.conftest import api_prices, load_prices  # noqa: F401 - shared fixtures
