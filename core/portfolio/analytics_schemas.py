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
    day_change: float = Field(
        description="Value now − value at the previous close of the shares held then − today's net money put in"
    )
    day_change_pct: float | None = None
    weight: float


class PortfolioSummary(BaseModel):
    market_value: float
    cost_basis: float
    unrealized_pnl: float
    realized_pnl: float = Field(description="Closed trades, dividends and fees, all tickers")
    realized_pnl_open: float = Field(default=0.0, description="The part of realised P&L on tickers still held")
    realized_pnl_closed: float = Field(default=0.0, description="The part on closed positions")
    total_pnl: float
    day_change: float = Field(
        description="Sum over every ticker, positions closed today included (core.portfolio.day_change)"
    )
    day_change_pct: float | None
    dividends: float
    fees: float = Field(description="Fee charges (fee activities)")
    commissions: float = Field(default=0.0, description="Fees paid on buys and sells")
    cash: float = Field(default=0.0, description="Cash balance (see CashBalance)")
    cash_tracked: bool = Field(default=False, description="Deposits are recorded, so cash is real money held")
    net_deposits: float = Field(default=0.0, description="Deposits − withdrawals")
    total_value: float = Field(default=0.0, description="Market value + cash when cash is tracked, else market value")
    holdings: list[HoldingValuation]
    allocation_by_holding: dict[str, float]
    allocation_by_sector: dict[str, float]
    as_of: dt.date | None


class SeriesPoint(BaseModel):
    date: dt.date
    value: float


class PerformanceReport(BaseModel):
    """Figures over one period (core.portfolio.periods): `start` and `end` are its first and
    last session, inclusive, the same for the portfolio, the benchmark and every ratio."""

    period: str | None = Field(default=None, description="1M, 3M, YTD, 1Y, 3Y, ALL, a year, or None for dates")
    start: dt.date | None
    end: dt.date | None
    sessions: int = Field(default=0, description="Daily returns in the period")
    start_value: float = Field(description="Value at the close before the first session")
    end_value: float
    net_inflow: float = Field(description="Money put in minus money taken out over the period")
    twr: float | None = Field(description="Time-weighted return over the period (fraction)")
    twr_annualised: float | None = Field(
        default=None, description="(1 + TWR) ** (252 / sessions) − 1; None under 252 sessions"
    )
    xirr: float | None = Field(description="Money-weighted annual return (fraction; actual/365 days)")
    benchmark: str | None = None
    benchmark_twr: float | None = Field(default=None, description="Over the same sessions as `twr`")
    benchmark_twr_annualised: float | None = None
    volatility: float | None = Field(description="Annualised standard deviation of daily returns (×√252)")
    downside_deviation: float | None = Field(default=None, description="Annualised, below the risk-free rate")
    max_drawdown: float = Field(description="Deepest fall of the time-weighted index, ≤ 0")
    sharpe: float | None = None
    sortino: float | None = None
    beta: float | None = None
    series: list[SeriesPoint] = Field(description="Market value at each close")
    twr_series: list[SeriesPoint] = Field(default_factory=list, description="Growth of 100, time-weighted")
    benchmark_series: list[SeriesPoint] = Field(default_factory=list, description="Benchmark growth of 100")


class YearReturn(BaseModel):
    year: int
    start: dt.date = Field(description="First session counted (later than 2 January in the portfolio's first year)")
    end: dt.date = Field(description="Last session counted")
    twr: float = Field(description="Time-weighted return of the portfolio over the year's sessions")
    benchmark_twr: float | None = Field(default=None, description="Over the same sessions")


class YearlyReturns(BaseModel):
    benchmark: str | None = None
    years: list[YearReturn]


class CashBalance(BaseModel):
    balance: float = Field(description="Deposits − withdrawals + sale proceeds + dividends − buys − fee charges")
    tracked: bool = Field(description="Deposits are recorded: the balance is real cash and never below zero")
    deposits: float
    withdrawals: float
    purchases: float = Field(description="Money paid for buys, their fees included")
    sale_proceeds: float = Field(description="Money received for sells, their fees deducted")
    dividends: float
    fees: float = Field(description="Fee charges (fee activities)")


class ClosedPosition(BaseModel):
    """A ticker sold down to zero: what was traded and what it earned, to the cent."""

    ticker: str
    name: str | None = None
    quantity_bought: float
    quantity_sold: float
    cost: float = Field(description="Money paid for its buys, fees included")
    proceeds: float = Field(description="Money received for its sells, fees deducted")
    realized_pnl: float = Field(description="Trading gain + dividends − fee charges")
    dividends: float
    fees: float = Field(description="Fee charges of the ticker")
    commissions: float = Field(description="Fees paid on its buys and sells (inside cost and proceeds)")
    opened_at: dt.date | None
    closed_at: dt.date | None


class IncomePeriod(BaseModel):
    period: str = Field(description="YYYY-MM or YYYY")
    start: dt.date
    dividends: float
    fees: float
    commissions: float
    net: float = Field(description="dividends − fees − commissions")


class IncomeReport(BaseModel):
    freq: str
    periods: list[IncomePeriod]
    dividends: float
    fees: float
    commissions: float
    net: float
