"""The documents the chat indexes for a user, built from `core`'s services, and the help text.

Each document is a short English paragraph with metadata `key` (unique per owner), `kind`,
`title` and, where it is about one ticker, `ticker`. A user's documents: the portfolio
summary, risk measures, each holding, each ticker's transactions, per-ticker facts (latest
price, returns, volatility, sector), the latest forecasts they were shown, realised accuracy
of their predictions and the latest backtest results of their tickers.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from langchain_core.documents import Document
from sqlalchemy.orm import Session

from core.chat import repository
from core.chat.facts import TickerFacts, compute_ticker_facts, money, optional_service, percent, signed_money
from core.config import Settings
from core.db.tables import User
from core.errors import CoreError
from core.market.repository import read_price_history

logger = logging.getLogger(__name__)

HELP_PATH = Path(__file__).with_name("help.md")


def _document(key: str, kind: str, title: str, text: str, ticker: str | None = None) -> Document:
    return Document(page_content=text, metadata={"key": key, "kind": kind, "title": title, "ticker": ticker})


@lru_cache(maxsize=1)
def build_help_documents() -> tuple[Document, ...]:
    """One document per section of the app's help text (shared by every user)."""
    documents = []
    for block in HELP_PATH.read_text(encoding="utf-8").split("\n## ")[1:]:
        heading, _, body = block.partition("\n")
        slug = "-".join(heading.lower().split())
        documents.append(_document(f"help:{slug}", "help", f"Help: {heading}", f"{heading}. {body.strip()}"))
    return tuple(documents)


def load_ticker_facts(session: Session, ticker: str) -> TickerFacts | None:
    return compute_ticker_facts(read_price_history(session, ticker)["close"])


def _portfolio_documents(session: Session, user: User) -> list[Document]:
    summarize = optional_service("core.portfolio.analytics", "summarize_portfolio")
    if summarize is None:
        return []
    summary = summarize(session, owner=user)
    if not summary.holdings:
        text = "Portfolio summary: you hold no stocks yet, so the portfolio value is 0."
        return [_document("portfolio", "portfolio", "Portfolio summary", text)]
    sectors = ", ".join(f"{name} {percent(weight)}" for name, weight in summary.allocation_by_sector.items())
    text = (
        f"Portfolio summary as of {summary.as_of}: total market value {money(summary.market_value)}, "
        f"cost basis {money(summary.cost_basis)}, unrealized profit and loss (P&L) "
        f"{signed_money(summary.unrealized_pnl)}, realized P&L {signed_money(summary.realized_pnl)}, "
        f"total P&L {signed_money(summary.total_pnl)}, day change {signed_money(summary.day_change)} "
        f"({percent(summary.day_change_pct, signed=True)}). {len(summary.holdings)} holdings. "
        f"Allocation by sector: {sectors}."
    )
    documents = [_document("portfolio", "portfolio", "Portfolio summary", text)]
    for h in summary.holdings:
        text = (
            f"Holding {h.ticker} ({h.name or h.ticker}, sector {h.sector or 'unknown'}): {h.quantity:g} shares, "
            f"last price {money(h.last_price)}, market value {money(h.market_value)}, cost basis "
            f"{money(h.cost_basis)}, unrealized P&L {signed_money(h.unrealized_pnl)}, realized P&L "
            f"{signed_money(h.realized_pnl)}, day change {signed_money(h.day_change)}, weight {percent(h.weight)} "
            "of the portfolio."
        )
        documents.append(_document(f"holding:{h.ticker}", "holding", f"Holding {h.ticker}", text, h.ticker))
    return documents


def _risk_documents(session: Session, user: User) -> list[Document]:
    measure = optional_service("core.portfolio.analytics", "measure_performance")
    if measure is None:
        return []
    try:
        report = measure(session, owner=user)
    except CoreError:
        return []  # too little history to measure: nothing to say
    text = (
        f"Portfolio performance and risk: time-weighted return {percent(report.twr, signed=True)}, "
        f"XIRR {percent(report.xirr, signed=True)}, annualised volatility {percent(report.volatility)}, "
        f"maximum drawdown {percent(report.max_drawdown)}, Sharpe ratio "
        f"{'n/a' if report.sharpe is None else f'{report.sharpe:.2f}'}, beta "
        f"{'n/a' if report.beta is None else f'{report.beta:.2f}'}."
    )
    return [_document("risk", "risk", "Portfolio performance and risk", text)]


def _transaction_documents(session: Session, user: User) -> list[Document]:
    by_ticker: dict[str, list[repository.TransactionTotals]] = {}
    for totals in repository.transaction_totals(session, user=user):
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


def _ticker_documents(session: Session, symbols: list[str]) -> list[Document]:
    metadata = repository.ticker_metadata(session, symbols)
    documents = []
    for ticker in symbols:
        facts = load_ticker_facts(session, ticker)
        if facts is None:
            continue
        meta = metadata.get(ticker)
        returns = ", ".join(f"{label} {percent(value, signed=True)}" for label, value in facts.returns.items())
        text = (
            f"{ticker} ({meta.name if meta and meta.name else ticker}), sector "
            f"{meta.sector if meta and meta.sector else 'unknown'}: latest close price {money(facts.last_close)} "
            f"on {facts.last_date}; price returns {returns or 'n/a'}; annualised volatility "
            f"{percent(facts.volatility)}."
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
    realised_accuracy = optional_service("core.forecasting.accuracy", "realised_accuracy")
    if realised_accuracy is None:
        return []
    frame = realised_accuracy(session, user=user)
    documents = []
    for row in frame.to_dict("records"):
        ticker, model = row.get("ticker"), row.get("model")
        text = (
            f"How my predictions did for {ticker} with the {model} model: {row.get('n')} scored predictions, "
            f"mean absolute error {money(row.get('mae'))}, MAPE {_number(row.get('mape'))}%, "
            f"80% interval coverage {percent(row.get('coverage_80'))}, 95% coverage {percent(row.get('coverage_95'))}."
        )
        title = f"Prediction accuracy {ticker} ({model})"
        documents.append(_document(f"accuracy:{ticker}:{model}", "accuracy", title, text, ticker))
    return documents


def _number(value: object) -> str:
    return "n/a" if value is None else f"{float(value):.2f}"


def build_user_documents(session: Session, *, settings: Settings, user: User) -> list[Document]:
    """Every document of one user, from their current data (no index involved)."""
    symbols = sorted(
        set(repository.held_symbols(session, user=user)) | set(repository.traded_symbols(session, user=user))
    )
    documents = _portfolio_documents(session, user)
    if not documents:
        listed = ", ".join(symbols) or "nothing yet"
        documents = [_document("portfolio", "portfolio", "Portfolio summary", f"Your portfolio holds {listed}.")]
    documents += _risk_documents(session, user)
    documents += _transaction_documents(session, user)
    documents += _ticker_documents(session, symbols)
    documents += _forecast_documents(session, user)
    documents += _accuracy_documents(session, user)
    from core.chat.backtests import backtest_documents

    documents += backtest_documents(settings, symbols)
    return documents
