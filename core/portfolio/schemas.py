"""Schemas for holdings (`Stock` rows), the transaction ledger, the watchlist and price alerts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from core.db.tables import AlertKind, TransactionType
from core.market.schemas import normalise_ticker

TICKER_PATTERN = r"^[A-Z0-9][A-Z0-9.\-^=]{0,15}$"
# Bounds that keep every product and sum of the analytics finite (and dates within pandas' range).
MAX_QUANTITY = 1e12
MAX_PRICE = 1e9
EARLIEST_DATE = dt.date(1900, 1, 1)


class StockBase(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: 422, not ignored

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
    quantity: float = Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)
    avg_cost: float = Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    opened_at: dt.date | None = Field(default=None, ge=EARLIEST_DATE)
    notes: str | None = Field(default=None, max_length=2000)


class StockUpdate(StockBase):
    ticker: str | None = Field(default=None, pattern=TICKER_PATTERN)
    quantity: float | None = Field(default=None, gt=0, le=MAX_QUANTITY, allow_inf_nan=False)
    avg_cost: float | None = Field(default=None, ge=0, le=MAX_PRICE, allow_inf_nan=False)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    opened_at: dt.date | None = Field(default=None, ge=EARLIEST_DATE)
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


# --- the transaction ledger ------------------------------------------------------------------


TICKER_TYPES = {TransactionType.BUY, TransactionType.SELL, TransactionType.DIVIDEND, TransactionType.FEE}


class ActivityCreate(StockBase):
    """One ledger entry (an "activity"). Amounts by type (all in the ticker's currency):

    - buy / sell: `quantity` shares at `price` each, `fee` on top (buy) or deducted (sell);
    - dividend: `amount` (the total), or `quantity` shares × `price` per share (or `quantity`
      0 and `price` the total, as older files have it), less `fee` withheld;
    - fee: `amount` (or `fee`, plus `quantity` × `price` if given) charged against the holding;
    - deposit / withdrawal: `amount` of cash in or out, no ticker.
    """

    date: dt.date = Field(description="The trade or booking date (required)")
    ticker: str | None = Field(default=None, pattern=TICKER_PATTERN, description="None for deposits and withdrawals")
    type: TransactionType
    quantity: float = Field(default=0.0, ge=0, le=MAX_QUANTITY, allow_inf_nan=False)
    price: float = Field(default=0.0, ge=0, le=MAX_PRICE, allow_inf_nan=False)
    fee: float = Field(default=0.0, ge=0, le=MAX_PRICE, allow_inf_nan=False)
    amount: float = Field(default=0.0, ge=0, le=MAX_PRICE * 1000, allow_inf_nan=False)

    @field_validator("ticker", mode="before")
    @classmethod
    def _blank_ticker(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check_amounts(self) -> ActivityCreate:
        kind = self.type
        if kind in TICKER_TYPES and not self.ticker:
            raise ValueError(f"a {kind.value} needs a ticker")
        if kind not in TICKER_TYPES:
            if self.ticker:
                raise ValueError(f"a {kind.value} is cash: leave the ticker empty")
            if self.amount <= 0:
                raise ValueError(f"a {kind.value} needs an amount greater than 0")
            if self.quantity or self.price or self.fee:
                raise ValueError(f"a {kind.value} has only an amount (no quantity, price or fee)")
        if kind in (TransactionType.BUY, TransactionType.SELL):
            if self.quantity <= 0:
                raise ValueError(f"a {kind.value} needs a quantity greater than 0")
            if self.amount:
                raise ValueError(f"a {kind.value} has a quantity and a price, not an amount")
        if kind == TransactionType.DIVIDEND and self.price <= 0 and self.amount <= 0:
            raise ValueError("a dividend needs an amount (or a price per share) greater than 0")
        if kind == TransactionType.FEE and self.amount + self.fee + self.quantity * self.price <= 0:
            raise ValueError("a fee transaction needs a fee greater than 0")
        if self.date > dt.date.today():
            raise ValueError("the date is in the future")
        if self.date < EARLIEST_DATE:
            raise ValueError(f"the date is before {EARLIEST_DATE}")
        return self


TransactionCreate = ActivityCreate  # the name the CSV import and older callers use


class ActivityUpdate(StockBase):
    """A change to one activity: only the fields given change; the result is validated as a
    whole (as an ActivityCreate) and against the whole ledger."""

    date: dt.date | None = None
    ticker: str | None = Field(default=None, pattern=TICKER_PATTERN)
    type: TransactionType | None = None
    quantity: float | None = Field(default=None, ge=0, le=MAX_QUANTITY, allow_inf_nan=False)
    price: float | None = Field(default=None, ge=0, le=MAX_PRICE, allow_inf_nan=False)
    fee: float | None = Field(default=None, ge=0, le=MAX_PRICE, allow_inf_nan=False)
    amount: float | None = Field(default=None, ge=0, le=MAX_PRICE * 1000, allow_inf_nan=False)


class TransactionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: dt.date
    ticker: str | None
    type: TransactionType
    quantity: float
    price: float
    fee: float
    amount: float = 0.0
    created_at: dt.datetime


ActivityRead = TransactionRead


class TransactionPage(BaseModel):
    items: list[TransactionRead]
    total: int
    limit: int
    offset: int


class ImportResult(BaseModel):
    imported: int
    tickers: list[str] = Field(default_factory=list)


# --- watchlist and price alerts --------------------------------------------------------------


class WatchlistItemCreate(StockBase):
    ticker: str = Field(pattern=TICKER_PATTERN)


class WatchlistItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticker: str
    created_at: dt.datetime
    last_price: float | None = None
    last_date: dt.date | None = None
    previous_close: float | None = None
    day_change: float | None = None  # last close − previous close, per share
    day_change_pct: float | None = None  # as a fraction: 0.0123 = +1.23 %
    sparkline: list[float] = []  # the latest closes, oldest first


class PriceAlertCreate(StockBase):
    """`above`/`below`: a price level; `move_pct`: a one-day move of more than N percent, either way."""

    ticker: str = Field(pattern=TICKER_PATTERN)
    kind: AlertKind
    threshold: float = Field(gt=0, le=MAX_PRICE, allow_inf_nan=False)


class PriceAlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticker: str
    kind: AlertKind
    threshold: float
    active: bool
    triggered_at: dt.datetime | None
    triggered_date: dt.date | None
    triggered_message: str | None
    created_at: dt.datetime

    @computed_field
    @property
    def triggered(self) -> bool:
        return self.triggered_at is not None
