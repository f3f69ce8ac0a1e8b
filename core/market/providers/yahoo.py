"""Yahoo Finance through `yfinance` (imported lazily), with a timeout on every call.

yfinance fails in two quiet ways offline: `download()` returns an empty frame, and `Ticker`
methods raise curl_cffi errors that are `OSError`s, not `ConnectionError`s. Both are turned
into CoreErrors here, and `settings.offline` stops any call before it touches the network.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd

from core.config import Settings
from core.errors import NotFoundError, ServiceUnavailableError
from core.market.providers.base import PriceProvider, TickerInfo, empty_price_frame

logger = logging.getLogger(__name__)


class YFinanceProvider(PriceProvider):
    name = "yfinance"

    def __init__(self, *, settings: Settings) -> None:
        self.timeout = settings.provider_timeout_seconds
        self.offline = settings.offline

    def list_tickers(self) -> list[TickerInfo]:
        return []  # Yahoo has no useful "all symbols" call; tickers come from what is stored

    def _ensure_online(self, ticker: str) -> None:
        if self.offline:
            raise ServiceUnavailableError(f"cannot fetch {ticker} from Yahoo Finance: OFFLINE is set")

    def _fetch(self, ticker: str, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
        self._ensure_online(ticker)
        import yfinance

        # Yahoo's `end` is exclusive; ask for one more day.
        end_exclusive = (end or dt.date.today()) + dt.timedelta(days=1)
        start = start or end_exclusive - dt.timedelta(days=365 * 5)
        if start >= end_exclusive:
            return empty_price_frame()
        try:
            raw = yfinance.Ticker(ticker).history(
                start=start.isoformat(),
                end=end_exclusive.isoformat(),
                interval="1d",
                auto_adjust=False,
                actions=False,
                timeout=self.timeout,
                raise_errors=True,
            )
        except OSError as exc:  # curl_cffi's DNS/connection/timeout errors are OSErrors
            raise ServiceUnavailableError(f"Yahoo Finance is unreachable for {ticker}: {exc}") from exc
        except Exception as exc:  # yfinance raises its own types for unknown/delisted symbols
            raise NotFoundError(f"Yahoo Finance has no prices for {ticker}: {exc}") from exc
        if raw is None or raw.empty:
            raise NotFoundError(f"Yahoo Finance returned no prices for {ticker} from {start} (unknown ticker?)")
        return _to_price_frame(raw)

    def describe(self, ticker: str) -> TickerInfo:
        self._ensure_online(ticker)
        import yfinance

        try:
            info = yfinance.Ticker(ticker).get_info()
        except Exception as exc:  # metadata is optional: prices still load without it
            logger.warning("ticker metadata unavailable", extra={"ticker": ticker, "error": str(exc)})
            return TickerInfo(symbol=ticker)
        return TickerInfo(
            symbol=ticker,
            name=info.get("longName") or info.get("shortName"),
            sector=info.get("sector"),
            currency=(info.get("currency") or "USD").upper()[:3],
        )


def _to_price_frame(raw: pd.DataFrame) -> pd.DataFrame:
    frame = raw.rename(columns=str.lower).reset_index()
    frame = frame.rename(columns={frame.columns[0]: "date"})
    dates = pd.to_datetime(frame["date"])
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    frame["date"] = dates.dt.normalize()
    frame = frame.dropna(subset=["open", "high", "low", "close"])
    frame["volume"] = frame["volume"].fillna(0.0)
    return frame[["date", "open", "high", "low", "close", "volume"]]
