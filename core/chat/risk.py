"""Risk figures exactly as the pages compute them.

The portfolio's: `measure_performance` over the whole history against the default benchmark
(`core.portfolio.analytics.DEFAULT_BENCHMARK`, which the Portfolio page opens on too), the
equal-weight universe of the bundled tickers. Beta only exists
against a benchmark; the chat used to ask for none, so it said "beta n/a" where the page
showed one. When no benchmark prices are stored the page shows the portfolio alone, and so
does the chat. A ticker's: the Stock page's key statistics.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.chat.context import AskContext, GroundedAnswer
from core.chat.facts import describe_ticker, load_ticker_facts
from core.chat.schemas import Source
from core.db.tables import User
from core.errors import NotFoundError
from core.formatting import number, plain_percent
from core.portfolio.analytics import DEFAULT_BENCHMARK, DEFAULT_BENCHMARK_NAME, measure_performance


def page_performance(session: Session, *, user: User):
    """The performance report the Portfolio page opens on (period "All", the default
    benchmark). Without benchmark prices, the report has no beta."""
    try:
        return measure_performance(session, owner=user, benchmark=DEFAULT_BENCHMARK)
    except NotFoundError:  # no bundled prices for the benchmark: the page shows the portfolio alone
        return measure_performance(session, owner=user)


def describe_performance(report) -> str:
    """The Portfolio page's performance figures in words (its formats: one decimal for
    percentages, two for ratios)."""
    beta = (
        f"beta {number(report.beta)} against {DEFAULT_BENCHMARK_NAME}"
        if report.beta is not None
        else "beta n/a (no benchmark prices stored)"
    )
    benchmark = (
        f" The benchmark's time-weighted return over the same days is {plain_percent(report.benchmark_twr)}."
        if report.benchmark_twr is not None
        else ""
    )
    since = f" since {report.start}" if report.start else ""
    return (
        f"Your portfolio{since}: time-weighted return {plain_percent(report.twr)}, XIRR {plain_percent(report.xirr)}, "
        f"annualised volatility {plain_percent(report.volatility)}, maximum drawdown "
        f"{plain_percent(report.max_drawdown)}, Sharpe ratio {number(report.sharpe)} and {beta}.{benchmark}"
    )


def answer_risk(ctx: AskContext) -> GroundedAnswer | None:
    if ctx.question.tickers:
        return answer_ticker_risk(ctx, "risk")
    report = page_performance(ctx.session, user=ctx.user)
    if report is None:
        return None
    if not report.series:
        text = "Your portfolio has no history yet, so it has no risk figures: they start with your first transaction."
        return GroundedAnswer("risk", text, [Source(title="Portfolio performance and risk", kind="risk")])
    return GroundedAnswer(
        "risk", describe_performance(report), [Source(title="Portfolio performance and risk", kind="risk")]
    )


def answer_ticker_risk(ctx: AskContext, intent: str) -> GroundedAnswer | None:
    """The Stock page's key statistics of each ticker named."""
    parts, sources = [], []
    for ticker in ctx.question.tickers:
        stats = load_ticker_facts(ctx.session, ticker)
        if stats is None:
            parts.append(f"I have no prices for {ticker}.")
            continue
        parts.append(describe_ticker(stats))
        sources.append(Source(title=f"{ticker} price facts", kind="ticker", ticker=ticker))
    return GroundedAnswer(intent, " ".join(parts), sources) if parts else None
