"""The documents the chat indexes for a user, built from `core`'s services, and the help text.

Each document is a short English paragraph with metadata `key` (unique per owner), `kind`,
`title` and, where it is about one ticker, `ticker`. A user's documents: the portfolio
summary, risk measures, each holding, each ticker's transactions, each closed position, per-ticker facts (latest
price, returns, volatility, sector), the latest forecasts they were shown, realised accuracy
of their predictions and the latest backtest results of their tickers.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache

from langchain_core.documents import Document
from sqlalchemy.orm import Session

from core.chat import repository
from core.chat.backtests import backtest_documents
from core.chat.closed_answers import describe_closed
from core.chat.facts import describe_ticker, load_ticker_facts
from core.chat.help_text import help_text
from core.chat.ledger_answers import weight_text
from core.chat.risk import describe_performance, page_performance
from core.config import Settings
from core.db.tables import TransactionType, User
from core.errors import CoreError
from core.forecasting.accuracy import realised_accuracy
from core.formatting import money, number, plain_percent, signed_money, signed_percent
from core.portfolio.activities import list_activities, traded_tickers
from core.portfolio.analytics import summarize_portfolio
from core.portfolio.closed import list_closed_positions
from core.portfolio.holdings import held_tickers
from core.portfolio.positions import cash_amount

logger = logging.getLogger(__name__)


def _document(key: str, kind: str, title: str, text: str, ticker: str | None = None) -> Document:
    return Document(page_content=text, metadata={"key": key, "kind": kind, "title": title, "ticker": ticker})


@lru_cache(maxsize=1)
def build_help_documents() -> tuple[Document, ...]:
    """One document per section of the app's help text (shared by every user)."""
    documents = []
    for block in help_text().split("\n## ")[1:]:
        heading, _, body = block.partition("\n")
        slug = "-".join(heading.lower().split())
        documents.append(_document(f"help:{slug}", "help", f"Help: {heading}", f"{heading}. {body.strip()}"))
    return tuple(documents)


def _portfolio_documents(session: Session, user: User) -> list[Document]:
    summary = summarize_portfolio(session, owner=user)
    if not summary.holdings:
        text = "Portfolio summary: you hold no stocks yet, so the portfolio value is 0."
        return [_document("portfolio", "portfolio", "Portfolio summary", text)]
    sectors = ", ".join(f"{name} {weight_text(weight)}" for name, weight in summary.allocation_by_sector.items())
    text = (
        f"Portfolio summary as of {summary.as_of}: total market value {money(summary.market_value)}, "
        f"cost basis {money(summary.cost_basis)}, unrealized profit and loss (P&L) "
        f"{signed_money(summary.unrealized_pnl)}, realized P&L {signed_money(summary.realized_pnl)}, "
        f"total P&L {signed_money(summary.total_pnl)}, day change {signed_money(summary.day_change)} "
        f"({signed_percent(summary.day_change_pct)}). {len(summary.holdings)} holdings. "
        f"Allocation by sector: {sectors}."
    )
    documents = [_document("portfolio", "portfolio", "Portfolio summary", text)]
    for h in summary.holdings:
        text = (
            f"Holding {h.ticker} ({h.name or h.ticker}, sector {h.sector or 'unknown'}): {h.quantity:g} shares, "
            f"last price {money(h.last_price)}, market value {money(h.market_value)}, cost basis "
            f"{money(h.cost_basis)}, unrealized P&L {signed_money(h.unrealized_pnl)}, realized P&L "
            f"{signed_money(h.realized_pnl)}, day change {signed_money(h.day_change)}, weight {weight_text(h.weight)} "
            "of the portfolio."
        )
        documents.append(_document(f"holding:{h.ticker}", "holding", f"Holding {h.ticker}", text, h.ticker))
    return documents


def _risk_documents(session: Session, user: User) -> list[Document]:
    try:
        report = page_performance(session, user=user)
    except CoreError:
        return []  # too little history to measure: nothing to say
    if report is None or not report.series:
        return []
    text = f"Portfolio performance and risk measures. {describe_performance(report)}"
    return [_document("risk", "risk", "Portfolio performance and risk", text)]


@dataclass(frozen=True)
class TransactionTotals:
    ticker: str
    type: str
    count: int
    quantity: float
    amount: float
    first_date: dt.date
    last_date: dt.date


def transaction_totals(session: Session, *, user: User) -> list[TransactionTotals]:
    """Per ticker and type, from the ledger: how many entries, shares, and the money they moved
    (`cash_amount`, what the analytics count: a fee entry's fee, a buy's cost with its commission)."""
    groups: dict[tuple[str, str], list] = {}
    for entry in list_activities(session, owner=user):
        if entry.ticker is not None:
            groups.setdefault((entry.ticker, TransactionType(entry.type).value), []).append(entry)
    return [
        TransactionTotals(
            ticker,
            kind,
            len(entries),
            float(sum(e.quantity for e in entries)),
            float(sum(cash_amount(e) for e in entries)),
            min(e.date for e in entries),
            max(e.date for e in entries),
        )
        for (ticker, kind), entries in sorted(groups.items())
    ]


def _transaction_documents(session: Session, user: User) -> list[Document]:
    by_ticker: dict[str, list[TransactionTotals]] = {}
    for totals in transaction_totals(session, user=user):
        by_ticker.setdefault(totals.ticker, []).append(totals)
    documents = []
    for ticker, rows in by_ticker.items():
        parts = [
            f"{r.count} {r.type} transaction{'s' if r.count != 1 else ''} ({r.quantity:g} shares, "
            f"amount {money(r.amount)}) between {r.first_date} and {r.last_date}"
            for r in rows
        ]
        text = f"Transactions in {ticker}: " + "; ".join(parts) + "."
        documents.append(_document(f"transactions:{ticker}", "transactions", f"Transactions in {ticker}", text, ticker))
    return documents


def _closed_documents(session: Session, user: User) -> list[Document]:
    return [
        _document(
            f"closed:{row.ticker}",
            "closed",
            f"Closed position {row.ticker}",
            f"Closed position, fully sold, no longer held: {describe_closed(row)}.",
            row.ticker,
        )
        for row in list_closed_positions(session, owner=user)
    ]


def _ticker_documents(session: Session, symbols: list[str]) -> list[Document]:
    metadata = repository.ticker_metadata(session, symbols)
    documents = []
    for ticker in symbols:
        stats = load_ticker_facts(session, ticker)
        if stats is None:
            continue
        meta = metadata.get(ticker)
        text = (
            f"{ticker} ({meta.name if meta and meta.name else ticker}), sector "
            f"{meta.sector if meta and meta.sector else 'unknown'}: latest close price and returns. "
            f"{describe_ticker(stats)}"
        )
        documents.append(_document(f"ticker:{ticker}", "ticker", f"{ticker} price facts", text, ticker))
    return documents


def _forecast_documents(session: Session, user: User) -> list[Document]:
    batches: dict[tuple[str, str], list] = {}
    for row in repository.latest_predictions(session, user=user):
        batches.setdefault((row.ticker, row.model), []).append(row)
    documents = []
    for (ticker, model), rows in batches.items():
        last = rows[-1]
        text = (
            f"Latest forecast for {ticker} with the {model} model, made on {last.made_at:%Y-%m-%d} from the "
            f"close of {last.origin_date}: {len(rows)} sessions ahead, {money(last.predicted_value)} on "
            f"{last.target_date} (80% interval {money(last.lo80)} to {money(last.hi80)}, 95% interval "
            f"{money(last.lo95)} to {money(last.hi95)}); next session {money(rows[0].predicted_value)} on "
            f"{rows[0].target_date}."
        )
        title = f"Forecast {ticker} ({model})"
        documents.append(_document(f"forecast:{ticker}:{model}", "forecast", title, text, ticker))
    return documents


def _accuracy_documents(session: Session, user: User) -> list[Document]:
    frame = realised_accuracy(session, user=user)
    documents = []
    for row in frame.to_dict("records"):
        ticker, model = row.get("ticker"), row.get("model")
        text = (
            f"How my predictions did for {ticker} with the {model} model: {row.get('n')} scored predictions, "
            f"mean absolute error {money(row.get('mae'))}, MAPE {number(row.get('mape'))}%, "
            f"80% interval coverage {plain_percent(row.get('coverage_80'), 0)}, "
            f"95% coverage {plain_percent(row.get('coverage_95'), 0)}."
        )
        title = f"Prediction accuracy {ticker} ({model})"
        documents.append(_document(f"accuracy:{ticker}:{model}", "accuracy", title, text, ticker))
    return documents


def build_user_documents(session: Session, *, settings: Settings, user: User) -> list[Document]:
    """Every document of one user, from their current data (no index involved)."""
    symbols = sorted(set(held_tickers(session, owner=user)) | set(traded_tickers(session, owner=user)))
    documents = _portfolio_documents(session, user)
    if not documents:
        listed = ", ".join(symbols) or "nothing yet"
        documents = [_document("portfolio", "portfolio", "Portfolio summary", f"Your portfolio holds {listed}.")]
    documents += _risk_documents(session, user)
    documents += _transaction_documents(session, user)
    documents += _closed_documents(session, user)
    documents += _ticker_documents(session, symbols)
    documents += _forecast_documents(session, user)
    documents += _accuracy_documents(session, user)

    documents += backtest_documents(settings, symbols)
    return documents
