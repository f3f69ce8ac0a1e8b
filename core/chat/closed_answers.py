"""Grounded answers about closed positions, realised P&L and cash, from the ledger's services:
`list_closed_positions`, the summary's realised P&L split (held + closed = total) and
`cash_balance`. The chat recomputes none of them.
"""

from __future__ import annotations

from core.chat.context import AskContext, GroundedAnswer
from core.chat.ledger_answers import portfolio_source, portfolio_summary
from core.chat.schemas import Source
from core.formatting import money, signed_money
from core.portfolio.cash import cash_balance
from core.portfolio.closed import list_closed_positions

CLOSED_LISTED = 8


def closed_source(ticker: str) -> Source:
    return Source(title=f"Closed position {ticker}", kind="closed", ticker=ticker)


def describe_closed(row) -> str:
    when = f", closed on {row.closed_at}" if row.closed_at else ""
    return (
        f"{row.ticker} ({row.name or row.ticker}): bought {row.quantity_bought:g} shares for {money(row.cost)}, "
        f"sold {row.quantity_sold:g} for {money(row.proceeds)}{when}; realised P&L {signed_money(row.realized_pnl)} "
        f"(dividends {money(row.dividends)}, fees {money(row.fees)}, commissions {money(row.commissions)})"
    )


def closed_ticker_answer(ctx: AskContext, intent: str, ticker: str) -> GroundedAnswer | None:
    """A fully sold ticker's closed position, or None when `ticker` is not one."""
    row = next((r for r in list_closed_positions(ctx.session, owner=ctx.user) if r.ticker == ticker), None)
    if row is None:
        return None
    text = f"You no longer hold {ticker}: it is a closed position. {describe_closed(row)}."
    return GroundedAnswer(intent, text, [closed_source(ticker)])


def _realised_split(summary) -> str:
    return (
        f"Realised P&L in total: {signed_money(summary.realized_pnl)}, of which "
        f"{signed_money(summary.realized_pnl_closed)} on closed positions and "
        f"{signed_money(summary.realized_pnl_open)} on holdings you still hold."
    )


def answer_closed(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
    if summary is None:
        return None
    closed = list_closed_positions(ctx.session, owner=ctx.user)
    if ctx.question.tickers:
        parts, sources = [], []
        held = {h.ticker: h for h in summary.holdings}
        for ticker in ctx.question.tickers:
            row = next((r for r in closed if r.ticker == ticker), None)
            if row is not None:
                parts.append(f"{describe_closed(row)}.")
                sources.append(closed_source(ticker))
            elif ticker in held:
                h = held[ticker]
                parts.append(
                    f"You still hold {h.quantity:g} shares of {ticker}, so it is not closed; its realised P&L so far "
                    f"is {signed_money(h.realized_pnl)} (unrealized {signed_money(h.unrealized_pnl)})."
                )
                sources.append(Source(title=f"Holding {ticker}", kind="holding", ticker=ticker))
            else:
                parts.append(f"You have never traded {ticker}.")
        return GroundedAnswer("closed", " ".join(parts), sources or [portfolio_source(summary)])
    if not closed:
        text = f"You have no closed positions: every ticker you traded is still held. {_realised_split(summary)}"
        return GroundedAnswer("closed", text, [portfolio_source(summary)])
    shown = closed[:CLOSED_LISTED]
    more = f" ({len(closed) - len(shown)} more on the Portfolio page)" if len(closed) > len(shown) else ""
    text = (
        f"You have {len(closed)} closed position{'s' if len(closed) != 1 else ''}{more}: "
        + "; ".join(describe_closed(row) for row in shown)
        + f". {_realised_split(summary)}"
    )
    return GroundedAnswer("closed", text, [closed_source(row.ticker) for row in shown] + [portfolio_source(summary)])


def answer_cash(ctx: AskContext) -> GroundedAnswer:
    cash = cash_balance(ctx.session, owner=ctx.user)
    flows = (
        f"deposits {money(cash.deposits)}, withdrawals {money(cash.withdrawals)}, sale proceeds "
        f"{money(cash.sale_proceeds)}, dividends {money(cash.dividends)}, purchases {money(cash.purchases)} and "
        f"fee charges {money(cash.fees)}"
    )
    if cash.tracked:
        text = f"Your cash balance is {money(cash.balance)}: {flows}."
    else:
        text = (
            "You have recorded no deposits, so cash is not tracked: your buys are counted as money put in from "
            f"outside. The ledger's net cash flow is {signed_money(cash.balance)} ({flows}). Record a deposit on "
            "the Portfolio page to track cash."
        )
    return GroundedAnswer("cash", text, [Source(title="Cash balance", kind="cash")])
