"""Provider names → classes: the only place that knows which providers exist."""

from __future__ import annotations

from core.config import Settings
from core.errors import InvalidInputError
from core.market.providers.base import PriceProvider
from core.market.providers.bundled import BundledProvider
from core.market.providers.csv_upload import CsvUploadProvider
from core.market.providers.yahoo import YFinanceProvider

PROVIDERS: dict[str, type[PriceProvider]] = {
    BundledProvider.name: BundledProvider,
    YFinanceProvider.name: YFinanceProvider,
    CsvUploadProvider.name: CsvUploadProvider,
}


def list_providers() -> list[str]:
    return sorted(PROVIDERS)


def create_provider(name: str, *, settings: Settings, **options) -> PriceProvider:
    """A provider by name (`settings.data_provider` for refreshes); `csv` takes `content=`."""
    try:
        provider_class = PROVIDERS[name]
    except KeyError as exc:
        raise InvalidInputError(f"unknown price provider {name!r}; choose one of {', '.join(PROVIDERS)}") from exc
    return provider_class(settings=settings, **options)
