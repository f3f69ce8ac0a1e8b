"""Answer quality: a question set whose every case names the figures its answer must contain,
each read at evaluation time from the service that owns it (never written down).

A case (one JSON object of the set's file):

    {"question": "What is my biggest holding?", "intent": "largest_smallest",
     "figures": ["text:largest.ticker", "money:largest.market_value"], "sources": "some"}

`question` may name slots filled from the portfolio: {held} (its first holding by ticker),
{held2}, {closed} (a fully sold ticker), {unheld} and {forecast} (given by the caller).
A figure is `format:path`; the path is read from `FigureBook` and written with the format
(`core.formatting`'s, as the pages write it), so "money:summary.market_value" is the Portfolio
page's market value KPI. `absent` lists phrases the answer must not contain; `sources` is
"none" when the answer must cite nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.tables import PredictionHistory, User
from core.formatting import money, number, plain_percent, signed_money, signed_percent
from core.market.statistics import get_ticker_statistics
from core.portfolio.activities import ledger_entries
from core.portfolio.analytics import measure_performance, summarize_portfolio
from core.portfolio.cash import cash_balance
from core.portfolio.closed import list_closed_positions
from core.portfolio.income import income_by_period
from core.portfolio.positions import replay_ledger

FORMATS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "money": money,
    "signed_money": signed_money,
    "percent": plain_percent,  # one decimal, as the KPIs
    "weight": lambda value: plain_percent(value, 2),  # two, as the holdings table
    "signed_percent": signed_percent,
    "number": number,
    "shares": lambda value: f"{value:g}",
}


@dataclass(frozen=True)
class QuestionCase:
    question: str
    intent: str
    figures: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    sources: str = "some"  # "some" or "none"


def load_question_set(path: Path) -> list[QuestionCase]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        QuestionCase(
            question=row["question"],
            intent=row["intent"],
            figures=tuple(row.get("figures", ())),
            absent=tuple(row.get("absent", ())),
            sources=row.get("sources", "some"),
        )
        for row in rows
    ]


@dataclass
class FigureBook:
    """Every figure a case may ask for, from the owning services, for one user."""

    values: dict[str, Any]
    slots: dict[str, str] = field(default_factory=dict)

    def fill(self, question: str) -> str:
        return question.format(**self.slots)

    def read(self, path: str) -> Any:
        head, *rest = self.fill(path).split(".")
        value = self.values[head]
        for part in rest:
            value = value[part] if isinstance(value, Mapping) else getattr(value, part)
        return value

    def figure(self, spec: str) -> str:
        kind, _, path = spec.partition(":")
        if kind == "literal":
            return self.fill(path)
        return FORMATS[kind](self.read(path))


def build_figure_book(
    session: Session, *, user: User, benchmark: str, unheld: str, forecast: str | None = None
) -> FigureBook:
    """The figures of `user`'s portfolio as the pages compute them (`benchmark`: the Portfolio
    page's default), and the slots of the question templates."""
    summary = summarize_portfolio(session, owner=user)
    by_value = sorted(summary.holdings, key=lambda h: (-h.market_value, h.ticker))
    by_ticker = sorted(summary.holdings, key=lambda h: h.ticker)
    closed = list_closed_positions(session, owner=user)
    slots = {"held": by_ticker[0].ticker, "held2": by_ticker[1 % len(by_ticker)].ticker, "unheld": unheld}
    if closed:
        slots["closed"] = closed[0].ticker
    if forecast:
        slots["forecast"] = forecast
    tickers = {*(h.ticker for h in summary.holdings), *(row.ticker for row in closed), unheld}
    tickers |= {forecast} if forecast else set()
    by_return = sorted(summary.holdings, key=lambda h: (h.unrealized_pnl_pct is None, h.unrealized_pnl_pct or 0))
    values: dict[str, Any] = {
        "summary": summary,
        "performance": measure_performance(session, owner=user, benchmark=benchmark),
        "largest": by_value[0],
        "smallest": by_value[-1],
        "best": by_return[-1],
        "worst": by_return[0],
        "holding": {h.ticker: h for h in summary.holdings},
        "position": replay_ledger(ledger_entries(session, owner=user)),
        "closed": {row.ticker: row for row in closed},
        "income": income_by_period(session, owner=user, freq="Y"),
        "cash": cash_balance(session, owner=user),
        "stats": {t: get_ticker_statistics(session, ticker=t) for t in tickers if t},
    }
    if forecast:
        values["forecast"] = {forecast: _last_recorded(session, user=user, ticker=forecast)}
    return FigureBook(values=values, slots=slots)


def _last_recorded(session: Session, *, user: User, ticker: str) -> PredictionHistory | None:
    """The furthest step of the user's newest recorded forecast of `ticker`."""
    newest = session.scalar(
        select(PredictionHistory)
        .where(PredictionHistory.user_id == user.id, PredictionHistory.ticker == ticker)
        .order_by(PredictionHistory.made_at.desc(), PredictionHistory.horizon_step.desc())
        .limit(1)
    )
    return newest


@dataclass(frozen=True)
class Verdict:
    case: QuestionCase
    question: str
    intent: str | None
    missing: tuple[str, ...]  # figures (as written) not in the answer, and wrong intent/sources/absent

    @property
    def hit(self) -> bool:
        return not self.missing


def judge(case: QuestionCase, book: FigureBook, *, intent: str | None, answer: str, sources: list) -> Verdict:
    """Whether `answer` (to the filled question, parsed as `intent`) has every figure of `case`."""
    missing = [f"{spec} = {book.figure(spec)!r}" for spec in case.figures if book.figure(spec) not in answer]
    if intent != case.intent:
        missing.append(f"intent {intent!r}, expected {case.intent!r}")
    missing += [f"must not say {phrase!r}" for phrase in case.absent if phrase.lower() in answer.lower()]
    if case.sources == "none" and sources:
        missing.append(f"cites {len(sources)} sources, expected none")
    if case.sources == "some" and not sources:
        missing.append("cites no source")
    return Verdict(case, book.fill(case.question), intent, tuple(missing))


def hit_rate_by_intent(verdicts: list[Verdict]) -> dict[str, tuple[int, int]]:
    """Intent → (hits, cases)."""
    rates: dict[str, tuple[int, int]] = {}
    for verdict in verdicts:
        hits, total = rates.get(verdict.case.intent, (0, 0))
        rates[verdict.case.intent] = (hits + verdict.hit, total + 1)
    return dict(sorted(rates.items()))
