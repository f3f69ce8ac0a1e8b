"""Price providers: one `PriceProvider` interface, implementations looked up by name.

from core.market.providers import create_provider
provider = create_provider(settings.data_provider, settings=settings)
frame = provider.fetch_history("AAPL", start=dt.date(2016, 1, 1))
"""

from core.market.providers.base import PRICE_FRAME_COLUMNS, PriceProvider, TickerInfo
from core.market.providers.catalog import create_provider, list_providers

__all__ = ["PRICE_FRAME_COLUMNS", "PriceProvider", "TickerInfo", "create_provider", "list_providers"]
