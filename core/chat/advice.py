"""Questions that ask for a recommendation ("should I buy NVDA?"): the figures the app has about
the ticker (the Stock page's statistics, the user's holding, their latest recorded forecast
with its backtested skill), then a plain caveat. Never a recommendation, and never a model
fitted on the spot: a forecast the user has not seen is not made for this answer.
"""

from __future__ import annotations

from core.chat import repository
from core.chat.context import AskContext, GroundedAnswer
from core.chat.facts import describe_ticker, load_ticker_facts
from core.chat.forecasts import NOT_ADVICE, skill_sentence
from core.chat.ledger_answers import holding_source, portfolio_summary, weight_text
from core.chat.schemas import Source
from core.formatting import money, signed_money
from core.portfolio.holdings import held_tickers

NO_RECOMMENDATION = "I can't tell you whether to buy, sell or hold: here are the figures the app has."


def _holding_line(summary, ticker: str) -> str:
    holding = next((h for h in summary.holdings if h.ticker == ticker), None) if summary else None
    if holding is None:
        return f"You don't hold {ticker}."
    return (
        f"You hold {holding.quantity:g} shares of {ticker} worth {money(holding.market_value)} "
        f"({weight_text(holding.weight)} of the portfolio), unrealized P&L "
        f"{signed_money(holding.unrealized_pnl)}."
    )


def _forecast_line(ctx: AskContext, ticker: str) -> str:
    rows = repository.latest_predictions(ctx.session, user=ctx.user, ticker=ticker)
    if not rows:
        return f"You have no recorded forecast of {ticker}; the Stock page makes one with its backtested skill."
    made_at = max(row.made_at for row in rows)
    model = next(row.model for row in rows if row.made_at == made_at)
    last = [row for row in rows if row.model == model][-1]
    return (
        f"Your latest forecast of {ticker} ({model} model, made on {made_at:%Y-%m-%d}): {money(last.predicted_value)} "
        f"on {last.target_date}, 80% interval {money(last.lo80)} to {money(last.hi80)}."
        + skill_sentence(ctx, ticker, model)
    )


def answer_advice(ctx: AskContext) -> GroundedAnswer:
    if not ctx.question.tickers:
        own = held_tickers(ctx.session, owner=ctx.user)
        hint = f" You hold {', '.join(own)}; name one to see its figures." if own else ""
        return GroundedAnswer("advice", f"{NO_RECOMMENDATION}{hint} {NOT_ADVICE}")
    summary = portfolio_summary(ctx)
    parts, sources = [NO_RECOMMENDATION], []
    for ticker in ctx.question.tickers:
        stats = load_ticker_facts(ctx.session, ticker)
        if stats is None:
            parts.append(f"I have no prices for {ticker}.")
            continue
        parts += [describe_ticker(stats), _holding_line(summary, ticker), _forecast_line(ctx, ticker)]
        sources.append(Source(title=f"{ticker} price facts", kind="ticker", ticker=ticker))
        if summary and any(h.ticker == ticker for h in summary.holdings):
            sources.append(holding_source(ticker))
    parts.append(NOT_ADVICE)
    return GroundedAnswer("advice", " ".join(parts), sources)
