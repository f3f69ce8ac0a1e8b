"""The built-in grounded answerer: the common questions answered by calling `core` and
phrasing the result, so every number is one `core` computed.

`answer_grounded` returns None when the question is not one it knows (or it has nothing to
say): the caller then answers from retrieved documents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from core.chat import repository
from core.chat.context import AskContext, GroundedAnswer
from core.chat.documents import load_ticker_facts
from core.chat.facts import money, optional_service, percent, signed_money
from core.chat.forecasts import answer_best_model, answer_forecast, answer_predictions_review
from core.chat.intents import Question
from core.chat.schemas import Source
from core.config import Settings
from core.db.tables import User
from core.errors import CoreError

logger = logging.getLogger(__name__)


def _summary(ctx: AskContext):
    summarize = optional_service("core.portfolio.analytics", "summarize_portfolio")
    return None if summarize is None else summarize(ctx.session, owner=ctx.user)


def _portfolio_source(summary) -> Source:
    return Source(title=f"Portfolio valuation as of {summary.as_of}", kind="portfolio")


def _holding_of(summary, tickers: tuple[str, ...]):
    return next((h for h in summary.holdings if h.ticker in tickers), None)


def _empty_portfolio(summary) -> GroundedAnswer:
    text = "Your portfolio holds no stocks yet: its value is 0. Add holdings or import transactions to start."
    return GroundedAnswer("value", text, [_portfolio_source(summary)])


def _not_held(ctx: AskContext, intent: str) -> GroundedAnswer | None:
    facts = answer_ticker_facts(ctx, intent)
    named = ", ".join(ctx.question.tickers)
    prefix = f"You don't hold {named}."
    return GroundedAnswer(intent, f"{prefix} {facts.text}", facts.sources) if facts else None


def answer_value(ctx: AskContext) -> GroundedAnswer | None:
    summary = _summary(ctx)
    if summary is None:
        return None
    if not summary.holdings:
        return _empty_portfolio(summary)
    holding = _holding_of(summary, ctx.question.tickers)
    if holding is None and ctx.question.tickers:
        return _not_held(ctx, "value")
    if holding is not None:
        text = (
            f"Your {holding.quantity:g} shares of {holding.ticker} are worth {money(holding.market_value)} at the "
            f"last price of {money(holding.last_price)} ({percent(holding.weight)} of the portfolio)."
        )
        return GroundedAnswer(
            "value", text, [Source(title=f"Holding {holding.ticker}", kind="holding", ticker=holding.ticker)]
        )
    text = (
        f"Your portfolio is worth {money(summary.market_value)} as of {summary.as_of}, across "
        f"{len(summary.holdings)} holdings, for a cost basis of {money(summary.cost_basis)} "
        f"(unrealized P&L {signed_money(summary.unrealized_pnl)})."
    )
    return GroundedAnswer("value", text, [_portfolio_source(summary)])


def answer_pnl(ctx: AskContext) -> GroundedAnswer | None:
    summary = _summary(ctx)
    if summary is None:
        return None
    if not summary.holdings and not summary.realized_pnl:
        return _empty_portfolio(summary)
    holding = _holding_of(summary, ctx.question.tickers)
    if holding is None and ctx.question.tickers:
        return _not_held(ctx, "pnl")
    if holding is not None:
        text = (
            f"{holding.ticker}: unrealized P&L {signed_money(holding.unrealized_pnl)} on a cost basis of "
            f"{money(holding.cost_basis)}, realized P&L {signed_money(holding.realized_pnl)}, day change "
            f"{signed_money(holding.day_change)}."
        )
        return GroundedAnswer(
            "pnl", text, [Source(title=f"Holding {holding.ticker}", kind="holding", ticker=holding.ticker)]
        )
    ratio = summary.unrealized_pnl / summary.cost_basis if summary.cost_basis else None
    text = (
        f"Your unrealized P&L is {signed_money(summary.unrealized_pnl)} ({percent(ratio, signed=True)} on a cost "
        f"basis of {money(summary.cost_basis)}), realized P&L {signed_money(summary.realized_pnl)}, so total P&L "
        f"{signed_money(summary.total_pnl)}. Today's change: {signed_money(summary.day_change)} "
        f"({percent(summary.day_change_pct, signed=True)})."
    )
    return GroundedAnswer("pnl", text, [_portfolio_source(summary)])


def holding_return(holding) -> float | None:
    """A holding's unrealized return on its cost basis (how best and worst are ranked)."""
    return holding.unrealized_pnl / holding.cost_basis if holding.cost_basis else None


def answer_best_worst(ctx: AskContext) -> GroundedAnswer | None:
    summary = _summary(ctx)
    if summary is None:
        return None
    ranked = sorted((h for h in summary.holdings if holding_return(h) is not None), key=holding_return)
    if not ranked:
        return _empty_portfolio(summary)
    best, worst = ranked[-1], ranked[0]

    def line(label: str, h) -> str:
        return (
            f"{label} holding is {h.ticker} ({h.name or h.ticker}) with an unrealized return of "
            f"{percent(holding_return(h), signed=True)} ({signed_money(h.unrealized_pnl)})"
        )

    text = (
        f"{line('Your best', best)}. {line('Your worst', worst)}."
        if best is not worst
        else f"{line('Your only', best)}."
    )
    sources = [Source(title=f"Holding {h.ticker}", kind="holding", ticker=h.ticker) for h in (best, worst)]
    return GroundedAnswer("best_worst", text, sources if best is not worst else sources[:1])


def answer_allocation(ctx: AskContext) -> GroundedAnswer | None:
    summary = _summary(ctx)
    if summary is None:
        return None
    if not summary.holdings:
        return _empty_portfolio(summary)
    if ctx.question.tickers:
        return _ticker_sectors(ctx, summary)
    sectors = sorted(summary.allocation_by_sector.items(), key=lambda item: -item[1])
    holdings = sorted(summary.holdings, key=lambda h: -(h.weight or 0))
    text = (
        "Allocation by sector: " + ", ".join(f"{name} {percent(weight)}" for name, weight in sectors) + ". "
        "By holding: " + ", ".join(f"{h.ticker} {percent(h.weight)}" for h in holdings) + "."
    )
    return GroundedAnswer("allocation", text, [_portfolio_source(summary)])


def _ticker_sectors(ctx: AskContext, summary) -> GroundedAnswer:
    held = {h.ticker: h for h in summary.holdings}
    metadata = repository.ticker_metadata(ctx.session, ctx.question.tickers)
    parts, sources = [], []
    for ticker in ctx.question.tickers:
        meta = metadata.get(ticker)
        sector = held[ticker].sector if ticker in held else (meta.sector if meta else None)
        line = f"{ticker} is in the {sector} sector" if sector else f"I don't know the sector of {ticker}"
        if ticker in held:
            weight = summary.allocation_by_sector.get(sector or "Unknown")
            line += f"; it is {percent(held[ticker].weight)} of your portfolio"
            line += f" (the sector: {percent(weight)})" if weight is not None else ""
            sources.append(Source(title=f"Holding {ticker}", kind="holding", ticker=ticker))
        else:
            sources.append(Source(title=f"{ticker} price facts", kind="ticker", ticker=ticker))
        parts.append(line + ".")
    return GroundedAnswer("allocation", " ".join(parts), sources)


def answer_ticker_facts(ctx: AskContext, intent: str) -> GroundedAnswer | None:
    parts, sources = [], []
    for ticker in ctx.question.tickers:
        facts = load_ticker_facts(ctx.session, ticker)
        if facts is None:
            parts.append(f"I have no prices for {ticker}.")
            continue
        returns = ", ".join(f"{label} {percent(value, signed=True)}" for label, value in facts.returns.items())
        parts.append(
            f"{ticker} closed at {money(facts.last_close)} on {facts.last_date}; returns {returns or 'n/a'}; "
            f"annualised volatility {percent(facts.volatility)}."
        )
        sources.append(Source(title=f"{ticker} price facts", kind="ticker", ticker=ticker))
    return GroundedAnswer(intent, " ".join(parts), sources) if parts else None


def answer_risk(ctx: AskContext) -> GroundedAnswer | None:
    if ctx.question.tickers:
        return answer_ticker_facts(ctx, "risk")
    measure = optional_service("core.portfolio.analytics", "measure_performance")
    if measure is None:
        return None
    report = measure(ctx.session, owner=ctx.user)
    text = (
        f"Your portfolio's annualised volatility is {percent(report.volatility)}, its maximum drawdown "
        f"{percent(report.max_drawdown)}, Sharpe ratio {'n/a' if report.sharpe is None else f'{report.sharpe:.2f}'} "
        f"and beta {'n/a' if report.beta is None else f'{report.beta:.2f}'} "
        f"(time-weighted return {percent(report.twr, signed=True)})."
    )
    summary = _summary(ctx)
    if summary is not None and summary.holdings:
        largest = max(summary.holdings, key=lambda h: h.weight or 0)
        text += f" Your largest position is {largest.ticker} at {percent(largest.weight)} of the portfolio."
    return GroundedAnswer("risk", text, [Source(title="Portfolio performance and risk", kind="risk")])


def answer_price(ctx: AskContext) -> GroundedAnswer | None:
    return answer_ticker_facts(ctx, "price") if ctx.question.tickers else None


HANDLERS: dict[str, Callable[[AskContext], GroundedAnswer | None]] = {
    "value": answer_value,
    "pnl": answer_pnl,
    "best_worst": answer_best_worst,
    "allocation": answer_allocation,
    "risk": answer_risk,
    "price": answer_price,
    "forecast": answer_forecast,
    "best_model": answer_best_model,
    "predictions_review": answer_predictions_review,
}


def answer_grounded(session: Session, *, settings: Settings, user: User, question: Question) -> GroundedAnswer | None:
    """The grounded answer to `question`, or None when it has no intent this module handles."""
    handler = HANDLERS.get(question.intent or "")
    if handler is None:
        return None
    try:
        return handler(AskContext(session, settings, user, question))
    except CoreError as exc:
        # A service's refusal (no prices, too little history) is itself the answer.
        return GroundedAnswer(question.intent or "", f"I could not work that out: {exc.message}")
