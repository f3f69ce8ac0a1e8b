"""Schemas for market data: tickers, price bars, refresh and import reports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


def normalise_ticker(value: str) -> str:
    """A ticker as stored: no surrounding blanks, upper case."""
    return value.strip().upper()


class TickerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    symbol: str
    name: str | None = None
    sector: str | None = None
    currency: str = "USD"
    first_date: dt.date | None = None
    last_date: dt.date | None = None


class PriceBar(BaseModel):
    date: dt.date
    open: float
    high: float
    low: float
    close: float
    volume: float


class PriceHistoryRead(BaseModel):
    ticker: str
    name: str | None = None
    currency: str = "USD"
    prices: list[PriceBar]


class TickerRefresh(BaseModel):
    ticker: str
    rows_added: int = 0
    last_date: dt.date | None = None
    error: str | None = Field(default=None, description="Why this ticker was not refreshed (stored prices kept)")
    unreachable: bool = Field(default=False, description="The source could not be reached (network, offline)")


class RefreshReport(BaseModel):
    provider: str
    rows_added: int = 0
    tickers: list[TickerRefresh] = Field(default_factory=list)
    alerts_triggered: int = 0
    predictions_realised: int = 0

    @property
    def errors(self) -> dict[str, str]:
        return {item.ticker: item.error for item in self.tickers if item.error}


class PriceImportResult(BaseModel):
    tickers: list[str]
    rows_imported: int
