"""The one interface every price source implements.

A provider returns a *price frame*: columns `date` (datetime64, no time zone), `open`, `high`,
`low`, `close`, `volume`, sorted by date, one row per trading day. Errors are CoreErrors:
`NotFoundError` for a ticker the source does not know, `ServiceUnavailableError` when the
source cannot be reached (network down, offline mode, timeout).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass

import pandas as pd

PRICE_FRAME_COLUMNS = ["date", "open", "high", "low", "close", "volume"]


@dataclass(frozen=True)
class TickerInfo:
    symbol: str
    name: str | None = None
    sector: str | None = None
    currency: str = "USD"


def empty_price_frame() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype="float64") for column in PRICE_FRAME_COLUMNS})
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def clip_dates(frame: pd.DataFrame, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """Rows with start <= date <= end (either bound optional)."""
    mask = pd.Series(True, index=frame.index)
    if start is not None:
        mask &= frame["date"] >= pd.Timestamp(start)
    if end is not None:
        mask &= frame["date"] <= pd.Timestamp(end)
    return frame.loc[mask].reset_index(drop=True)


class PriceProvider(ABC):
    """A source of daily OHLCV bars. `name` is also the `source` stored with each price row."""

    name: str = ""

    @abstractmethod
    def list_tickers(self) -> list[TickerInfo]:
        """The symbols this source can serve without being asked (may be empty)."""

    def describe(self, ticker: str) -> TickerInfo:
        """Metadata for one ticker; the default knows only what `list_tickers` lists."""
        for info in self.list_tickers():
            if info.symbol == ticker:
                return info
        return TickerInfo(symbol=ticker)

    def fetch_history(self, ticker: str, *, start: dt.date | None = None, end: dt.date | None = None) -> pd.DataFrame:
        """Bars for `ticker` between `start` and `end` inclusive, as a price frame."""
        frame = self._fetch(ticker.upper(), start, end)
        return clip_dates(frame[PRICE_FRAME_COLUMNS], start, end).sort_values("date").reset_index(drop=True)

    @abstractmethod
    def _fetch(self, ticker: str, start: dt.date | None, end: dt.date | None) -> pd.DataFrame: ...
