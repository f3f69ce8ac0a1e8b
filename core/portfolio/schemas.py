"""Schemas for holdings (`Stock` rows)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

TICKER_PATTERN = r"^[A-Z0-9][A-Z0-9.\-^=]{0,15}$"


def normalise_ticker(value: str) -> str:
    return value.strip().upper()


class StockBase(BaseModel):
    @field_validator("ticker", mode="before", check_fields=False)
    @classmethod
    def _upper_ticker(cls, value: object) -> object:
        return normalise_ticker(value) if isinstance(value, str) else value

    @field_validator("currency", mode="before", check_fields=False)
    @classmethod
    def _upper_currency(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class StockCreate(StockBase):
    ticker: str = Field(pattern=TICKER_PATTERN, description="Exchange symbol, e.g. AAPL or BRK.B")
    quantity: float = Field(gt=0, allow_inf_nan=False)
    avg_cost: float = Field(ge=0, allow_inf_nan=False)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    opened_at: dt.date | None = None
    notes: str | None = Field(default=None, max_length=2000)


class StockUpdate(StockBase):
    ticker: str | None = Field(default=None, pattern=TICKER_PATTERN)
    quantity: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    avg_cost: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    opened_at: dt.date | None = None
    notes: str | None = Field(default=None, max_length=2000)


class StockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticker: str
    quantity: float
    avg_cost: float
    currency: str
    opened_at: dt.date | None
    notes: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class StockPage(BaseModel):
    items: list[StockRead]
    total: int
    limit: int
    offset: int
