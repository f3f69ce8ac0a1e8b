"""What the MCP tools return beyond the API's own read models (which they reuse)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.forecasting.schemas import RealisedAccuracyRead
from core.market.schemas import TickerRead
from core.portfolio.schemas import StockRead


class HoldingsPage(BaseModel):
    items: list[StockRead]
    total: int
    limit: int
    offset: int


class TickerList(BaseModel):
    tickers: list[TickerRead]


class AccuracyTable(BaseModel):
    rows: list[RealisedAccuracyRead] = Field(description="Trailing realised accuracy per ticker and model")


class BacktestReport(BaseModel):
    ticker: str
    horizon: int
    folds: int
    models: list[str]
    rows: list[dict[str, Any]] = Field(
        description="One row per model: folds, MAE, RMSE, MAPE, MASE, skill vs naive, interval coverage"
    )
