"""Portfolio analytics: the current summary (value, cost, P&L, day change, weights,
allocation) and performance over a period (value history, TWR, XIRR, risk, a benchmark).

Both read the owner's ledger (see core.portfolio.ledger) and the stored closes in one query.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.orm import Session

from core.db.tables import User
from core.errors import InvalidInputError, NotFoundError
from core.market import repository
from core.portfolio import returns as perf
from core.portfolio.activities import ledger_entries
from core.portfolio.analytics_schemas import HoldingValuation, PerformanceReport, PortfolioSummary, SeriesPoint
from core.portfolio.cash import summarize_cash
from core.portfolio.positions import EPSILON, replay_ledger
from core.portfolio.schemas import EARLIEST_DATE, normalise_ticker
from core.portfolio.valuation import entries_frame, value_history

LATEST_DATE = dt.date(2200, 1, 1)  # pandas timestamps end in 2262
EQUAL_WEIGHT_NAMES = {"EQUAL_WEIGHT", "EQUAL-WEIGHT", "EW", "UNIVERSE"}


def load_ledger(session: Session, *, owner: User) -> list:
    """The entries every figure is computed from (see activities.ledger_entries)."""
    return ledger_entries(session, owner=owner)


def summarize_portfolio(session: Session, *, owner: User) -> PortfolioSummary:
    """Value at the last close, cost, P&L (unrealised; realised split into open holdings and
    closed positions, which add up to it), day change, weights, allocation, cash and income."""
    entries = load_ledger(session, owner=owner)
    positions = replay_ledger(entries)
    cash = summarize_cash(entries)
    open_positions = {ticker: p for ticker, p in positions.items() if p.quantity > EPSILON}
    closes = repository.last_two_closes(session, open_positions)
    metadata = {row.symbol: row for row in repository.list_ticker_rows(session) if row.symbol in open_positions}
    holdings: list[HoldingValuation] = []
    for ticker, position in sorted(open_positions.items()):
        bars = closes.get(ticker, [])
        last_price = bars[0][1] if bars else None
        value = position.quantity * last_price if last_price is not None else position.cost_basis
        change = position.quantity * (bars[0][1] - bars[1][1]) if len(bars) > 1 else 0.0
        meta = metadata.get(ticker)
        holdings.append(
            HoldingValuation(
                ticker=ticker,
                name=meta.name if meta else None,
                sector=meta.sector if meta else None,
                quantity=position.quantity,
                avg_cost=position.avg_cost,
                last_price=last_price,
                last_price_date=bars[0][0] if bars else None,
                market_value=value,
                cost_basis=position.cost_basis,
                unrealized_pnl=value - position.cost_basis,
                unrealized_pnl_pct=(value / position.cost_basis - 1.0) if position.cost_basis else None,
                realized_pnl=position.realized_pnl,
                day_change=change,
                day_change_pct=change / (value - change) if value - change else None,
                weight=0.0,
            )
        )
    total = sum(h.market_value for h in holdings)
    by_sector: dict[str, float] = {}
    for holding in holdings:
        holding.weight = holding.market_value / total if total else 0.0
        sector = holding.sector or "Unknown"
        by_sector[sector] = by_sector.get(sector, 0.0) + holding.weight
    cost = sum(h.cost_basis for h in holdings)
    day_change = sum(h.day_change for h in holdings)
    realized_open = sum(h.realized_pnl for h in holdings)
    realized_closed = sum(p.realized_pnl for t, p in positions.items() if t not in open_positions)
    realized = realized_open + realized_closed
    dates = [h.last_price_date for h in holdings if h.last_price_date]
    return PortfolioSummary(
        market_value=total,
        cost_basis=cost,
        unrealized_pnl=total - cost,
        realized_pnl=realized,
        realized_pnl_open=realized_open,
        realized_pnl_closed=realized_closed,
        total_pnl=total - cost + realized,
        commissions=sum(p.commissions for p in positions.values()),
        cash=cash.balance,
        cash_tracked=cash.tracked,
        net_deposits=cash.deposits - cash.withdrawals,
        total_value=total + cash.balance if cash.tracked else total,
        day_change=day_change,
        day_change_pct=day_change / (total - day_change) if total - day_change else None,
        dividends=sum(p.dividends for p in positions.values()),
        fees=sum(p.fees for p in positions.values()),
        holdings=holdings,
        allocation_by_holding={h.ticker: h.weight for h in holdings},
        allocation_by_sector=dict(sorted(by_sector.items(), key=lambda item: -item[1])),
        as_of=max(dates) if dates else None,
    )


def benchmark_returns(session: Session, *, benchmark: str, start: dt.date | None, end: dt.date | None) -> pd.Series:
    """Daily returns of a ticker's close, or of an equal-weight index of every stored bundled ticker."""
    symbol = normalise_ticker(benchmark)
    if symbol in EQUAL_WEIGHT_NAMES:
        universe = [row.symbol for row in repository.list_ticker_rows(session) if row.source == "bundled"]
        closes = repository.read_closes(session, universe, start, end)
        if closes.empty:
            raise NotFoundError("no bundled prices stored for the equal-weight benchmark; run `prices load`")
        # Rebalanced daily: the index return is the mean of the tickers' returns that day.
        return closes.pct_change(fill_method=None).mean(axis=1, skipna=True).iloc[1:].fillna(0.0)
    closes = repository.read_closes(session, [symbol], start, end)
    if closes.empty:
        raise NotFoundError(f"unknown benchmark ticker {symbol}: no prices stored")
    return closes[symbol].pct_change(fill_method=None).iloc[1:].fillna(0.0)


def _points(series: pd.Series) -> list[SeriesPoint]:
    return [
        SeriesPoint(date=day.date(), value=float(v)) for day, v in zip(series.index, series.to_numpy(), strict=True)
    ]


def measure_performance(
    session: Session,
    *,
    owner: User,
    start: dt.date | None = None,
    end: dt.date | None = None,
    benchmark: str | None = None,
    risk_free_rate: float = 0.0,
) -> PerformanceReport:
    """Performance of the owner's portfolio between `start` and `end` (defaults: all of it)."""
    if start and end and start > end:
        raise InvalidInputError(f"start {start} is after end {end}")
    for day in (start, end):
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise InvalidInputError(f"{day} is outside {EARLIEST_DATE} … {LATEST_DATE}")
    entries = load_ledger(session, owner=owner)
    frame = entries_frame(entries)
    closes = repository.read_closes(session, [t for t in frame["ticker"].unique() if t], None, end)
    history = value_history(frame, closes, pd.Timestamp(end) if end else None)
    before = history[history.index < pd.Timestamp(start)] if start else history.iloc[:0]
    period = history[history.index >= pd.Timestamp(start)] if start else history
    previous_value = float(before["value"].iloc[-1]) if len(before) else 0.0
    daily = perf.daily_returns(
        period["value"], period["inflow"], period["outflow"], previous_value, period["inflow_close"]
    )
    # Returns count from the first day with money invested.
    invested = daily[(period["value"] + period["outflow"]).to_numpy() > 0]
    report = PerformanceReport(
        start=period.index[0].date() if len(period) else start,
        end=period.index[-1].date() if len(period) else end,
        start_value=previous_value,
        end_value=float(period["value"].iloc[-1]) if len(period) else 0.0,
        net_inflow=float(period["inflow"].sum() + period["inflow_close"].sum() - period["outflow"].sum()),
        twr=perf.time_weighted_return(invested) if len(invested) else None,
        xirr=perf.xirr(_xirr_flows(period, previous_value)),
        volatility=perf.annualised_volatility(invested),
        max_drawdown=perf.max_drawdown(invested),
        sharpe=perf.sharpe_ratio(invested, risk_free_rate),
        series=_points(period["value"]),
        twr_series=_points(perf.growth_index(invested)),
    )
    if report.twr is not None and len(invested) > 1:
        years = (invested.index[-1] - invested.index[0]).days / 365.0
        report.twr_annualised = (1.0 + report.twr) ** (1.0 / years) - 1.0 if years >= 1 else None
    if benchmark:
        first_day = invested.index[0].date() if len(invested) else start
        bench = benchmark_returns(session, benchmark=benchmark, start=first_day, end=report.end)
        report.benchmark = normalise_ticker(benchmark)
        report.benchmark_twr = perf.time_weighted_return(bench)
        report.benchmark_series = _points(perf.growth_index(bench))
        report.beta = perf.beta(invested, bench)
    return report


def _xirr_flows(period: pd.DataFrame, previous_value: float) -> list[tuple[dt.date, float]]:
    if period.empty:
        return []
    days = [day.date() for day in period.index]
    net = (period["outflow"] - period["inflow"] - period["inflow_close"]).to_numpy()
    flows = [(day, float(amount)) for day, amount in zip(days, net, strict=True) if amount]
    if previous_value:
        flows.insert(0, (days[0], -previous_value))
    final_value = float(period["value"].iloc[-1])
    if final_value:
        flows.append((days[-1], final_value))
    return flows
