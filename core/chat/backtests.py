"""Documents and answers from the latest tracked backtests (via `core.tracking`).

Backtests are about public prices, not about a user, but they are indexed per user for the
user's own tickers only, so the index never reveals which tickers another user follows.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from langchain_core.documents import Document

from core.chat.facts import money, optional_service
from core.config import Settings
from core.errors import CoreError

logger = logging.getLogger(__name__)

# The error columns a backtest summary may carry, best first for ranking models.
RANKING_METRICS = ("mase", "mae", "mape", "rmse", "smape")


def backtest_table(settings: Settings, ticker: str) -> pd.DataFrame | None:
    """The latest backtest's per-model metrics for `ticker` (a `model` column and metric columns),
    or None when tracking is unavailable or holds none."""
    latest = optional_service("core.tracking", "latest_backtest_summary")
    if latest is None:
        return None
    try:
        summary = latest(ticker, settings=settings)
    except TypeError:
        summary = latest(ticker)
    except CoreError as exc:
        logger.info("no backtest summary", extra={"ticker": ticker, "reason": exc.message})
        return None
    return _as_table(summary)


def _as_table(summary: Any) -> pd.DataFrame | None:
    if summary is None:
        return None
    table = getattr(summary, "table", None)
    if table is None:
        table = getattr(summary, "metrics", summary)
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    if frame.empty:
        return None
    if "model" not in frame.columns:
        frame = frame.reset_index().rename(columns={"index": "model"})
    return frame if "model" in frame.columns else None


def ranking_metric(frame: pd.DataFrame) -> str | None:
    return next((metric for metric in RANKING_METRICS if metric in frame.columns and frame[metric].notna().any()), None)


def describe_backtest(ticker: str, frame: pd.DataFrame) -> str:
    metric = ranking_metric(frame)
    ordered = frame.sort_values(metric) if metric else frame
    parts = []
    for row in ordered.to_dict("records"):
        metrics = ", ".join(f"{name.upper()} {money(row[name])}" for name in RANKING_METRICS if pd.notna(row.get(name)))
        parts.append(f"{row['model']}: {metrics or 'no metrics'}")
    best = f" The most accurate model by {metric.upper()} is {ordered.iloc[0]['model']}." if metric else ""
    return f"Latest backtest results for {ticker}: " + "; ".join(parts) + "." + best


def backtest_documents(settings: Settings, symbols: list[str]) -> list[Document]:
    documents = []
    for ticker in symbols:
        frame = backtest_table(settings, ticker)
        if frame is None:
            continue
        metadata = {"key": f"backtest:{ticker}", "kind": "backtest", "title": f"Backtest {ticker}", "ticker": ticker}
        documents.append(Document(page_content=describe_backtest(ticker, frame), metadata=metadata))
    return documents
