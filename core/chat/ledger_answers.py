"""Grounded answers about the ledger: the largest and smallest holding, dividends and fees.

Every figure is one the Portfolio page shows, read from the same services: the summary
(`summarize_portfolio`) for holdings and weights, `income_by_period` for dividends, fee
charges and commissions, and the activities (`list_activities`, valued by `cash_amount`, the
amount the analytics count) for each dividend or fee entry.
"""

from __future__ import annotations

from core.chat.context import AskContext, GroundedAnswer
from core.chat.schemas import Source
from core.db.tables import TransactionType
from core.formatting import money, plain_percent, signed_money
from core.portfolio.activities import list_activities
from core.portfolio.analytics import summarize_portfolio
from core.portfolio.income import income_by_period
from core.portfolio.positions import cash_amount

WEIGHT_DIGITS = 2  # as the holdings table shows weights
ENTRIES_LISTED = 6  # the most recent dividend or fee entries quoted


def weight_text(weight: float | None) -> str:
    return plain_percent(weight, WEIGHT_DIGITS)


def portfolio_summary(ctx: AskContext):
    return summarize_portfolio(ctx.session, owner=ctx.user)


def portfolio_source(summary) -> Source:
    return Source(title=f"Portfolio valuation as of {summary.as_of}", kind="portfolio")


def holding_source(ticker: str) -> Source:
    return Source(title=f"Holding {ticker}", kind="holding", ticker=ticker)


def describe_holding_size(holding) -> str:
    return (
        f"{holding.ticker} ({holding.name or holding.ticker}): {holding.quantity:g} shares worth "
        f"{money(holding.market_value)}, {weight_text(holding.weight)} of the portfolio"
    )


def ranked_by_value(summary) -> list:
    """Holdings from the largest market value to the smallest (ties by ticker)."""
    return sorted(summary.holdings, key=lambda h: (-h.market_value, h.ticker))


def answer_largest_smallest(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
    if summary is None:
        return None
    if not summary.holdings:
        text = "Your portfolio holds no stocks yet, so it has no largest or smallest holding."
        return GroundedAnswer("largest_smallest", text, [portfolio_source(summary)])
    ranked = ranked_by_value(summary)
    largest, smallest = ranked[0], ranked[-1]
    if largest is smallest:
        text = f"Your only holding is {describe_holding_size(largest)}."
        return GroundedAnswer("largest_smallest", text, [holding_source(largest.ticker)])
    lines = [
        f"Your largest holding is {describe_holding_size(largest)}.",
        f"Your smallest holding is {describe_holding_size(smallest)}.",
    ]
    if any(word in ctx.question.text.lower() for word in ("smallest", "lightest", "tiniest")):
        lines.reverse()
    sources = [holding_source(largest.ticker), holding_source(smallest.ticker)]
    return GroundedAnswer("largest_smallest", " ".join(lines), sources)


def _entries(ctx: AskContext, kind: TransactionType) -> list:
    tickers = set(ctx.question.tickers)
    return [
        entry
        for entry in list_activities(ctx.session, owner=ctx.user)
        if TransactionType(entry.type) == kind and (not tickers or entry.ticker in tickers)
    ]


def _listed(entries: list) -> str:
    shown = sorted(entries, key=lambda e: (e.date, e.id), reverse=True)[:ENTRIES_LISTED]
    text = ", ".join(f"{e.date} {e.ticker} {money(cash_amount(e))}" for e in shown)
    more = f" and {len(entries) - len(shown)} earlier" if len(entries) > len(shown) else ""
    return f" ({'latest: ' if more else ''}{text}{more})"


def _income_line(label: str, entries: list, total: float) -> str:
    if not entries:
        return f"{money(total)} (no {label} recorded)"
    count = f"{len(entries)} {label} entr{'ies' if len(entries) != 1 else 'y'}"
    return f"{money(total)} from {count}{_listed(entries)}"


def _by_year(report) -> str:
    years = [
        f"{p.period}: dividends {money(p.dividends)}, fees {money(p.fees)}, commissions {money(p.commissions)}"
        for p in report.periods
    ]
    return f" By year: {'; '.join(years)}." if years else ""


def answer_income(ctx: AskContext) -> GroundedAnswer | None:
    summary = portfolio_summary(ctx)
    if summary is None:
        return None
    dividends = _entries(ctx, TransactionType.DIVIDEND)
    fees = _entries(ctx, TransactionType.FEE)
    if ctx.question.tickers:
        # One ticker's: the entries the income report adds up, restricted to it.
        dividend_total = sum(cash_amount(e) for e in dividends)
        fee_total = sum(cash_amount(e) for e in fees)
        scope = " and ".join(ctx.question.tickers)
        sources = [Source(title=f"Transactions in {t}", kind="transactions", ticker=t) for t in ctx.question.tickers]
        tail = "Commissions paid on buys and sells are part of those trades' cost, not in these fees."
    else:
        report = income_by_period(ctx.session, owner=ctx.user, freq="Y")
        dividend_total, fee_total, scope = report.dividends, report.fees, "your portfolio"
        sources = [Source(title="Income: dividends and fees", kind="income")]
        tail = (
            f"Commissions paid on buys and sells: {money(report.commissions)} (part of those trades' cost). "
            f"Net income: {signed_money(report.net)}.{_by_year(report)}"
        )
    lines = [
        f"Dividends received on {scope}: {_income_line('dividend', dividends, dividend_total)}.",
        f"Fees charged on {scope}: {_income_line('fee', fees, fee_total)}.",
    ]
    lowered = ctx.question.text.lower()
    if "dividend" not in lowered and any(word in lowered for word in ("fee", "commission", "charge")):
        lines.reverse()
    return GroundedAnswer("income", " ".join([*lines, tail]), sources)
