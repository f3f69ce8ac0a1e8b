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
from core.chat.advice import answer_advice
from core.chat.closed_answers import answer_cash, answer_closed, closed_ticker_answer
from core.chat.context import AskContext, GroundedAnswer
from core.chat.forecasts import answer_best_model, answer_forecast, answer_predictions_review
from core.chat.intents import OUT_OF_SCOPE, Question
from core.chat.ledger_answers import (
    answer_income,
    answer_largest_smallest,
    describe_holding_size,
    holding_source,
    portfolio_source,
    portfolio_summary,
    ranked_by_value,
    weight_text,
)
from core.chat.risk import answer_risk, answer_ticker_risk
from core.chat.schemas import Source
from core.config import Settings
from core.db.tables import User
from core.errors import CoreError
from core.formatting import money, signed_money, signed_percent

logger = logging.getLogger(__name__)


OUT_OF_SCOPE_ANSWER = "I can answer questions about your portfolio, prices, forecasts and backtests"


def _holding_of(summary, tickers: tuple[str, ...]):
    return next((h for h in summary.holdings if h.ticker in tickers), None)


def _empty_portfolio(summary) -> GroundedAnswer:
    text = (
        f"Your portfolio holds no stocks yet: its value is {money(summary.market_value)}. Record a buy on the "
        "Portfolio page or import transactions to start."
    )
    return GroundedAnswer("value", text, [portfolio_source(summary)])


def _not_held(ctx: AskContext, intent: str) -> GroundedAnswer | None:
    if len(ctx.question.tickers) == 1 and (closed := closed_ticker_answer(ctx, intent, ctx.question.tickers[0])):
        return closed  # fully sold: what it earned, not "you don't hold it"
    facts = answer_ticker_risk(ctx, intent)
    named = ", ".join(ctx.question.tickers)
    prefix = f"You don't hold {named}."
    return GroundedAnswer(intent, f"{prefix} {facts.text}", facts.sources) if facts else None


def answer_value(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
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
            f"last price of {money(holding.last_price)} ({weight_text(holding.weight)} of the portfolio)."
        )
        return GroundedAnswer("value", text, [holding_source(holding.ticker)])
    text = (
        f"Your portfolio is worth {money(summary.market_value)} as of {summary.as_of}, across "
        f"{len(summary.holdings)} holdings, for a cost basis of {money(summary.cost_basis)} "
        f"(unrealized P&L {signed_money(summary.unrealized_pnl)})."
    )
    if summary.cash_tracked:
        text += f" With your cash of {money(summary.cash)}, the total value is {money(summary.total_value)}."
    return GroundedAnswer("value", text, [portfolio_source(summary)])


def answer_holdings(ctx: AskContext) -> GroundedAnswer | None:
    """What the user holds (or, for named tickers, how much of each), largest first."""
    summary = portfolio_summary(ctx)
    if summary is None:
        return None
    if not summary.holdings:
        return _empty_portfolio(summary)
    holdings = ranked_by_value(summary)
    named = [h for h in holdings if h.ticker in ctx.question.tickers]
    if named:
        text = f"You hold {'; '.join(describe_holding_size(holding) for holding in named)}."
        return GroundedAnswer("holdings", text, [holding_source(holding.ticker) for holding in named])
    # Tickers named but none held (or none named): what the user does hold, never echoing
    # names that may be someone else's.
    prefix = "None of the tickers you named is in your portfolio. " if ctx.question.tickers else ""
    text = (
        f"{prefix}You hold {len(holdings)} stocks worth {money(summary.market_value)} as of {summary.as_of}, "
        f"largest first: {'; '.join(describe_holding_size(holding) for holding in holdings)}."
    )
    return GroundedAnswer("holdings", text, [holding_source(holding.ticker) for holding in holdings])


def answer_pnl(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
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
        return GroundedAnswer("pnl", text, [holding_source(holding.ticker)])
    ratio = summary.unrealized_pnl / summary.cost_basis if summary.cost_basis else None
    text = (
        f"Your unrealized P&L is {signed_money(summary.unrealized_pnl)} ({signed_percent(ratio)} on a cost "
        f"basis of {money(summary.cost_basis)}), realized P&L {signed_money(summary.realized_pnl)}, so total P&L "
        f"{signed_money(summary.total_pnl)}. Today's change: {signed_money(summary.day_change)} "
        f"({signed_percent(summary.day_change_pct)})."
    )
    return GroundedAnswer("pnl", text, [portfolio_source(summary)])


def holding_return(holding) -> float | None:
    """A holding's unrealized return on its cost basis (how best and worst are ranked)."""
    return holding.unrealized_pnl / holding.cost_basis if holding.cost_basis else None


def answer_best_worst(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
    if summary is None:
        return None
    ranked = sorted((h for h in summary.holdings if holding_return(h) is not None), key=holding_return)
    if not ranked:
        return _empty_portfolio(summary)
    best, worst = ranked[-1], ranked[0]

    def line(label: str, h) -> str:
        return (
            f"{label} holding is {h.ticker} ({h.name or h.ticker}) with an unrealized return of "
            f"{signed_percent(holding_return(h))} ({signed_money(h.unrealized_pnl)})"
        )

    text = (
        f"{line('Your best', best)}. {line('Your worst', worst)}."
        if best is not worst
        else f"{line('Your only', best)}."
    )
    sources = [holding_source(h.ticker) for h in (best, worst)]
    return GroundedAnswer("best_worst", text, sources if best is not worst else sources[:1])


def answer_allocation(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
    if summary is None:
        return None
    if not summary.holdings:
        return _empty_portfolio(summary)
    if ctx.question.tickers:
        return _ticker_sectors(ctx, summary)
    sectors = sorted(summary.allocation_by_sector.items(), key=lambda item: -item[1])
    holdings = sorted(summary.holdings, key=lambda h: -(h.weight or 0))
    text = (
        "Allocation by sector: " + ", ".join(f"{name} {weight_text(weight)}" for name, weight in sectors) + ". "
        "By holding: " + ", ".join(f"{h.ticker} {weight_text(h.weight)}" for h in holdings) + "."
    )
    return GroundedAnswer("allocation", text, [portfolio_source(summary)])


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
            line += f"; it is {weight_text(held[ticker].weight)} of your portfolio"
            line += f" (the sector: {weight_text(weight)})" if weight is not None else ""
            sources.append(holding_source(ticker))
        else:
            sources.append(Source(title=f"{ticker} price facts", kind="ticker", ticker=ticker))
        parts.append(line + ".")
    return GroundedAnswer("allocation", " ".join(parts), sources)


def answer_price(ctx: AskContext) -> GroundedAnswer | None:
    return answer_ticker_risk(ctx, "price") if ctx.question.tickers else None


def answer_out_of_scope(ctx: AskContext) -> GroundedAnswer:
    # No sources: nothing in the user's data is about the question, so none is cited.
    return GroundedAnswer(OUT_OF_SCOPE, OUT_OF_SCOPE_ANSWER)


HANDLERS: dict[str, Callable[[AskContext], GroundedAnswer | None]] = {
    "value": answer_value,
    "holdings": answer_holdings,
    "pnl": answer_pnl,
    "best_worst": answer_best_worst,
    "allocation": answer_allocation,
    "risk": answer_risk,
    "price": answer_price,
    "forecast": answer_forecast,
    "best_model": answer_best_model,
    "predictions_review": answer_predictions_review,
    "largest_smallest": answer_largest_smallest,
    "income": answer_income,
    "advice": answer_advice,
    "closed": answer_closed,
    "cash": answer_cash,
    OUT_OF_SCOPE: answer_out_of_scope,
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
