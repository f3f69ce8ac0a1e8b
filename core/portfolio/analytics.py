"""Portfolio analytics: the current summary (value, cost, P&L, day change, weights,
allocation), performance over a period (value history, TWR, XIRR, risk, a benchmark) and
returns by calendar year. Every face (pages, API, MCP, chat) calls these.

Each reads the owner's ledger (two statements), the metadata and price versions of its
tickers (one) and the closes it needs (one): at most five statements with the cache's
ledger version. Given a cache (core.portfolio.analytics_cache), a figure whose ledger and
price versions are unchanged is served from it (two statements); a face with an event loop
looks the summary up there first (`cached_summary`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.db.loop_reads import answered_first_by, bounded_read
from core.db.tables import User
from core.errors import InvalidInputError, NotFoundError
from core.market import repository
from core.market.repository import TickerFacts
from core.market.tickers import normalise_ticker
from core.portfolio.activities import ledger_version
from core.portfolio.analytics_cache import AnalyticsCache
from core.portfolio.analytics_schemas import HoldingValuation, PerformanceReport, PortfolioSummary, YearlyReturns
from core.portfolio.day_change import DayChange, ticker_day_change, total_day_change
from core.portfolio.ledger_rows import LedgerSnapshot, ledger_entries, read_ledger
from core.portfolio.performance import DailySeries, daily_series, report_period, yearly_returns
from core.portfolio.periods import normalise_period
from core.portfolio.positions import EPSILON
from core.portfolio.schemas import EARLIEST_DATE
from core.portfolio.valuation import entries_frame, value_history

LATEST_DATE = dt.date(2200, 1, 1)  # pandas timestamps end in 2262
EQUAL_WEIGHT = "EQUAL_WEIGHT"
EQUAL_WEIGHT_NAMES = {EQUAL_WEIGHT, "EQUAL-WEIGHT", "EW", "UNIVERSE"}
# What a portfolio is measured against unless told otherwise (the Portfolio page, the chat).
DEFAULT_BENCHMARK = EQUAL_WEIGHT
DEFAULT_BENCHMARK_NAME = "the equal-weight universe"

Compute = Callable[[LedgerSnapshot, dict[str, TickerFacts]], BaseModel]


def load_ledger(session: Session, *, owner: User) -> list:
    """The entries every figure is computed from (see activities.ledger_entries)."""
    return ledger_entries(session, owner=owner)


def _tickers(ledger: LedgerSnapshot) -> list[str]:
    return sorted(ticker for ticker in ledger.frame["ticker"].unique() if ticker)


def _served(
    session: Session,
    *,
    owner: User,
    cache: AnalyticsCache | None,
    kind: str,
    params: dict,
    model: type[BaseModel],
    compute: Compute,
    extra: tuple[str, ...] = (),
    bundled: bool = False,
):
    """`compute(ledger, facts)`, or its cached result while the versions it read are unchanged."""
    token = ledger_version(session, owner=owner) if cache is not None else None
    facts = None
    if token is not None:
        facts, hit = _cached(session, owner, cache, token, kind, params, model, extra=extra, bundled=bundled)
        if hit is not None:
            return hit
    ledger = read_ledger(session, owner=owner)
    tickers = _tickers(ledger)
    if facts is None:
        facts = repository.ticker_facts(session, [*tickers, *extra], bundled=bundled)
    result = compute(ledger, facts)
    if token is not None:
        cache.remember_tickers(owner.id, token, tickers)
        cache.put(cache.key(kind, owner.id, token, {t: f.version for t, f in facts.items()}, params), result)
    return result


def _cached(
    session: Session,
    owner: User,
    cache: AnalyticsCache,
    token: str,
    kind: str,
    params: dict,
    model: type[BaseModel],
    *,
    extra: tuple[str, ...] = (),
    bundled: bool = False,
) -> tuple[dict[str, TickerFacts] | None, BaseModel | None]:
    """The facts a figure of ledger version `token` is keyed on, and the figure if cached;
    (None, None) when the version's tickers are not remembered."""
    remembered = cache.tickers_of(owner.id, token)
    if remembered is None:
        return None, None
    facts = repository.ticker_facts(session, [*remembered, *extra], bundled=bundled)
    key = cache.key(kind, owner.id, token, {t: f.version for t, f in facts.items()}, params)
    return facts, cache.get(key, model)


@bounded_read
def cached_summary(session: Session, *, owner: User, cache: AnalyticsCache | None = None) -> PortfolioSummary | None:
    """The summary as cached for the owner's current ledger and price versions, else None:
    two indexed statements and a look-up in this process's memory. A shared cache (Redis: a
    network call, which may hang until its timeout) is left to `summarize_portfolio`, which
    runs off the event loop."""
    if cache is None or not cache.in_process:
        return None
    token = ledger_version(session, owner=owner)
    if token is None:
        return None
    return _cached(session, owner, cache, token, "summary", {}, PortfolioSummary)[1]


@answered_first_by(cached_summary)
def summarize_portfolio(session: Session, *, owner: User, cache: AnalyticsCache | None = None) -> PortfolioSummary:
    """Value at the last close, cost, P&L (unrealised; realised split into open holdings and
    closed positions, which add up to it), day change, weights, allocation, cash and income."""
    return _served(
        session,
        owner=owner,
        cache=cache,
        kind="summary",
        params={},
        model=PortfolioSummary,
        compute=lambda ledger, facts: _summary(session, ledger, facts),
    )


def _since_yesterday(ledger: LedgerSnapshot, closes: dict[str, list]) -> dict[str, list]:
    """Each ticker's entries after its previous session's close (all of them with one session)."""
    frame = ledger.frame
    yesterday = pd.Series(
        {ticker: pd.Timestamp(bars[1][0]) for ticker, bars in closes.items() if len(bars) > 1}, dtype="datetime64[ns]"
    )
    cutoff = yesterday.reindex(frame["ticker"].to_numpy()).to_numpy()  # NaT: no previous session
    dates = frame["date"].to_numpy()
    recent = frame[(frame["ticker"] != "").to_numpy() & (np.isnat(cutoff) | (dates > cutoff))]
    by_ticker: dict[str, list] = {}
    for entry in LedgerSnapshot(frame=recent).entries():
        by_ticker.setdefault(entry.ticker, []).append(entry)
    return by_ticker


def _summary(session: Session, ledger: LedgerSnapshot, facts: dict[str, TickerFacts]) -> PortfolioSummary:
    positions = ledger.positions()
    cash = ledger.cash()
    closes = repository.last_two_closes(session, positions)
    by_ticker = _since_yesterday(ledger, closes)
    changes: list[DayChange] = []
    holdings: list[HoldingValuation] = []
    for ticker, position in sorted(positions.items()):
        bars = closes.get(ticker, [])
        change = ticker_day_change(position.quantity, bars, by_ticker.get(ticker, []))
        changes.append(change)
        if position.quantity <= EPSILON:
            continue
        last_price = bars[0][1] if bars else None
        value = position.quantity * last_price if last_price is not None else position.cost_basis
        meta = facts.get(ticker)
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
                day_change=change.change,
                day_change_pct=change.percent,
                weight=0.0,
            )
        )
    total = sum(h.market_value for h in holdings)
    by_sector: dict[str, float] = {}
    for holding in holdings:
        holding.weight = holding.market_value / total if total else 0.0
        sector = holding.sector or "Unknown"
        by_sector[sector] = by_sector.get(sector, 0.0) + holding.weight
    held = {h.ticker for h in holdings}
    cost = sum(h.cost_basis for h in holdings)
    day = total_day_change(changes)
    realized_open = sum(h.realized_pnl for h in holdings)
    realized_closed = sum(p.realized_pnl for t, p in positions.items() if t not in held)
    dates = [h.last_price_date for h in holdings if h.last_price_date]
    return PortfolioSummary(
        market_value=total,
        cost_basis=cost,
        unrealized_pnl=total - cost,
        realized_pnl=realized_open + realized_closed,
        realized_pnl_open=realized_open,
        realized_pnl_closed=realized_closed,
        total_pnl=total - cost + realized_open + realized_closed,
        commissions=sum(p.commissions for p in positions.values()),
        cash=cash.balance,
        cash_tracked=cash.tracked,
        net_deposits=cash.deposits - cash.withdrawals,
        total_value=total + cash.balance if cash.tracked else total,
        day_change=day.change,
        day_change_pct=day.percent,
        dividends=sum(p.dividends for p in positions.values()),
        fees=sum(p.fees for p in positions.values()),
        holdings=holdings,
        allocation_by_holding={h.ticker: h.weight for h in holdings},
        allocation_by_sector=dict(sorted(by_sector.items(), key=lambda item: -item[1])),
        as_of=max(dates) if dates else None,
    )


def _benchmark_tickers(benchmark: str | None, facts: dict[str, TickerFacts]) -> tuple[str | None, list[str]]:
    """The benchmark's canonical name and the tickers it is made of."""
    if not benchmark:
        return None, []
    symbol = normalise_ticker(benchmark)
    if symbol in EQUAL_WEIGHT_NAMES:
        universe = sorted(ticker for ticker, fact in facts.items() if fact.source == "bundled")
        if not universe:
            raise NotFoundError("no bundled prices stored for the equal-weight benchmark; run `prices load`")
        return EQUAL_WEIGHT, universe
    return symbol, [symbol]


def _series(
    session: Session,
    ledger: LedgerSnapshot,
    facts: dict[str, TickerFacts],
    *,
    benchmark: str | None,
    end: dt.date | None,
) -> tuple[DailySeries, str | None]:
    """The daily series of the portfolio and its benchmark, closes read in one statement."""
    name, members = _benchmark_tickers(benchmark, facts)
    frame = entries_frame(ledger.frame)
    tickers = [t for t in frame["ticker"].unique() if t] if len(frame) else []
    closes = repository.read_closes(session, [*tickers, *members], None, end)
    held = closes.reindex(columns=tickers).dropna(how="all")
    history = value_history(frame, held, pd.Timestamp(end) if end else None)
    bench = None
    if members:
        bench = closes.reindex(columns=members).dropna(how="all")
        if bench.empty:
            raise NotFoundError(f"unknown benchmark ticker {name}: no prices stored")
    return daily_series(history, bench), name


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and start > end:
        raise InvalidInputError(f"start {start} is after end {end}")
    for day in (start, end):
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise InvalidInputError(f"{day} is outside {EARLIEST_DATE} … {LATEST_DATE}")


def measure_performance(
    session: Session,
    *,
    owner: User,
    period: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    benchmark: str | None = None,
    risk_free_rate: float = 0.0,
    cache: AnalyticsCache | None = None,
) -> PerformanceReport:
    """Performance over a period (core.portfolio.periods: a name such as 1Y, YTD or 2016, or
    `start`/`end` dates; default: since inception), against `benchmark` over the same sessions."""
    _check_dates(start, end)
    period = normalise_period(period, start)
    symbol = normalise_ticker(benchmark) if benchmark else None
    extra = (symbol,) if symbol and symbol not in EQUAL_WEIGHT_NAMES else ()

    def compute(ledger: LedgerSnapshot, facts: dict[str, TickerFacts]) -> PerformanceReport:
        series, name = _series(session, ledger, facts, benchmark=benchmark, end=end)
        return report_period(series, period=period, start=start, end=end, benchmark=name, risk_free_rate=risk_free_rate)

    params = {"period": period, "start": start, "end": end, "benchmark": symbol, "rf": risk_free_rate}
    return _served(
        session,
        owner=owner,
        cache=cache,
        kind="performance",
        params=params,
        model=PerformanceReport,
        compute=compute,
        extra=extra,
        bundled=symbol in EQUAL_WEIGHT_NAMES,
    )


def returns_by_year(
    session: Session, *, owner: User, benchmark: str | None = None, cache: AnalyticsCache | None = None
) -> YearlyReturns:
    """The portfolio's and the benchmark's time-weighted return for each calendar year, over
    the same sessions (the portfolio's first year counts from its first day with money in it)."""
    symbol = normalise_ticker(benchmark) if benchmark else None
    extra = (symbol,) if symbol and symbol not in EQUAL_WEIGHT_NAMES else ()

    def compute(ledger: LedgerSnapshot, facts: dict[str, TickerFacts]) -> YearlyReturns:
        series, name = _series(session, ledger, facts, benchmark=benchmark, end=None)
        return YearlyReturns(benchmark=name, years=yearly_returns(series))

    return _served(
        session,
        owner=owner,
        cache=cache,
        kind="by_year",
        params={"benchmark": symbol},
        model=YearlyReturns,
        compute=compute,
        extra=extra,
        bundled=symbol in EQUAL_WEIGHT_NAMES,
    )
