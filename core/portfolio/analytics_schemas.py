"""What the analytics return: plain numbers (floats), ready for JSON."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class HoldingValuation(BaseModel):
    ticker: str
    name: str | None = None
    sector: str | None = None
    quantity: float
    avg_cost: float
    last_price: float | None = Field(description="Latest stored close; None when no price is stored")
    last_price_date: dt.date | None = None
    market_value: float = Field(description="At the last close, or at cost when no price is stored")
    cost_basis: float
    unrealized_pnl: float
    unrealized_pnl_pct: float | None = None
    realized_pnl: float
    day_change: float
    day_change_pct: float | None = None
    weight: float


class PortfolioSummary(BaseModel):
    market_value: float
    cost_basis: float
    unrealized_pnl: float
    realized_pnl: float = Field(description="Closed trades, dividends and fees, all tickers")
    total_pnl: float
    day_change: float
    day_change_pct: float | None
    dividends: float
    fees: float
    holdings: list[HoldingValuation]
    allocation_by_holding: dict[str, float]
    allocation_by_sector: dict[str, float]
    as_of: dt.date | None


class SeriesPoint(BaseModel):
    date: dt.date
    value: float


class PerformanceReport(BaseModel):
    start: dt.date | None
    end: dt.date | None
    start_value: float
    end_value: float
    net_inflow: float = Field(description="Money put in minus money taken out over the period")
    twr: float | None = Field(description="Time-weighted return over the period (fraction)")
    twr_annualised: float | None = None
    xirr: float | None = Field(description="Money-weighted annual return (fraction)")
    benchmark: str | None = None
    benchmark_twr: float | None = None
    volatility: float | None = Field(description="Annualised standard deviation of daily returns")
    max_drawdown: float = Field(description="Deepest fall of the time-weighted index, ≤ 0")
    sharpe: float | None = None
    beta: float | None = None
    series: list[SeriesPoint] = Field(description="Market value at each close")
    twr_series: list[SeriesPoint] = Field(default_factory=list, description="Growth of 100, time-weighted")
    benchmark_series: list[SeriesPoint] = Field(default_factory=list, description="Benchmark growth of 100")
