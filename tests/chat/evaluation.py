"""Retrieval quality: a question set with known relevant documents, and its hit rate.

Questions are templates over a user's own tickers, so the same set measures any portfolio
(the tests' synthetic one, the demo one in `bench/chat.py`). A case is a hit at k when one
of its relevant document keys is among the first k documents retrieved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langchain_core.documents import Document


@dataclass(frozen=True)
class RetrievalCase:
    question: str
    relevant: tuple[str, ...]  # document keys (metadata["key"]); one retrieved is a hit


TICKER_TEMPLATES = [
    ("What is the latest closing price of {ticker}?", ("ticker:{ticker}",)),
    ("How volatile is {ticker}?", ("ticker:{ticker}",)),
    ("What was the one year return of {ticker}?", ("ticker:{ticker}",)),
    ("Which sector is {ticker} in?", ("ticker:{ticker}", "holding:{ticker}")),
    ("How many shares of {ticker} do I own?", ("holding:{ticker}",)),
    ("What is my unrealized P&L on {ticker}?", ("holding:{ticker}",)),
    ("When did I buy {ticker} and how many transactions did I make?", ("transactions:{ticker}",)),
]
FORECAST_TEMPLATES = [
    ("What does the latest forecast say about {ticker}?", ("forecast:{ticker}",)),
    ("Where is {ticker} predicted to be next week?", ("forecast:{ticker}",)),
]
GENERAL_CASES = [
    RetrievalCase("What is my portfolio worth in total?", ("portfolio",)),
    RetrievalCase("How is my portfolio split across sectors?", ("portfolio",)),
    RetrievalCase("What is the maximum drawdown and Sharpe ratio of my portfolio?", ("risk", "help:performance")),
    RetrievalCase("How do I import my broker's CSV file?", ("help:importing-transactions",)),
    RetrievalCase("How do I add a holding to my portfolio?", ("help:adding-and-editing-holdings",)),
    RetrievalCase("What can a viewer do?", ("help:signing-in-and-roles",)),
    RetrievalCase("How do price alerts work?", ("help:watchlist-and-price-alerts",)),
    RetrievalCase("What is a backtest?", ("help:backtests",)),
    RetrievalCase("What is time-weighted return?", ("help:performance",)),
    RetrievalCase("When are prices refreshed?", ("help:market-data", "help:scheduled-jobs")),
]


def build_cases(tickers: Sequence[str], forecast_tickers: Sequence[str] = ()) -> list[RetrievalCase]:
    cases = [
        RetrievalCase(q.format(ticker=t), tuple(k.format(ticker=t) for k in keys))
        for t in tickers
        for q, keys in TICKER_TEMPLATES
    ]
    cases += [
        RetrievalCase(q.format(ticker=t), tuple(k.format(ticker=t) for k in keys))
        for t in forecast_tickers
        for q, keys in FORECAST_TEMPLATES
    ]
    return cases + GENERAL_CASES


def is_hit(case: RetrievalCase, documents: Sequence[Document], k: int = 3) -> bool:
    keys = [str(d.metadata.get("key", "")) for d in documents[:k]]
    # A relevant key names a document or a family of them ("forecast:AAPL" → any model).
    return any(key == wanted or key.startswith(wanted) for key in keys for wanted in case.relevant)


def hit_rate(cases: Sequence[RetrievalCase], retrieve: Callable[[str], Sequence[Document]], k: int = 3) -> float:
    """Share of cases with a relevant document among the first `k` retrieved."""
    return 1 - len(missed_questions(cases, retrieve, k)) / len(cases)


def missed_questions(
    cases: Sequence[RetrievalCase], retrieve: Callable[[str], Sequence[Document]], k: int = 3
) -> list[str]:
    return [case.question for case in cases if not is_hit(case, retrieve(case.question), k)]
