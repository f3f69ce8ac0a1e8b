"""The default provider: real daily prices shipped under `data/` (works offline)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pandas as pd

from core.config import Settings
from core.errors import NotFoundError, ServiceUnavailableError
from core.market.providers.base import PRICE_FRAME_COLUMNS, PriceProvider, TickerInfo

PRICES_FILE = "prices.csv.gz"
TICKERS_FILE = "tickers.csv"


@lru_cache(maxsize=4)
def _read_prices(path: Path, _mtime: float) -> dict[str, pd.DataFrame]:
    frame = pd.read_csv(path, parse_dates=["date"])
    frame["ticker"] = frame["ticker"].str.upper()
    return {ticker: group[PRICE_FRAME_COLUMNS].reset_index(drop=True) for ticker, group in frame.groupby("ticker")}


@lru_cache(maxsize=4)
def _read_tickers(path: Path, _mtime: float) -> tuple[TickerInfo, ...]:
    frame = pd.read_csv(path, dtype=str).fillna("")
    return tuple(
        TickerInfo(
            symbol=row["ticker"].upper(),
            name=row.get("name") or None,
            sector=row.get("sector") or None,
            currency=row.get("currency") or "USD",
        )
        for row in frame.to_dict("records")
    )


class BundledProvider(PriceProvider):
    """Reads `<bundled_data_dir>/prices.csv.gz` (date,ticker,open,high,low,close,volume)."""

    name = "bundled"

    def __init__(self, *, settings: Settings) -> None:
        self.directory = Path(settings.bundled_data_dir)

    def _file(self, name: str) -> Path:
        path = self.directory / name
        if not path.exists():
            raise ServiceUnavailableError(f"bundled data file {path} is missing")
        return path

    def prices_by_ticker(self) -> dict[str, pd.DataFrame]:
        path = self._file(PRICES_FILE)
        return _read_prices(path, path.stat().st_mtime)

    def list_tickers(self) -> list[TickerInfo]:
        path = self._file(TICKERS_FILE)
        known = {info.symbol: info for info in _read_tickers(path, path.stat().st_mtime)}
        return [known.get(symbol, TickerInfo(symbol=symbol)) for symbol in sorted(self.prices_by_ticker())]

    def _fetch(self, ticker: str, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
        prices = self.prices_by_ticker()
        if ticker not in prices:
            raise NotFoundError(f"ticker {ticker} is not in the bundled data ({len(prices)} tickers available)")
        return prices[ticker].copy()
