"""Documents and answers from the latest tracked backtests (via `core.tracking`).

Backtests are about public prices, not about a user, but they are indexed per user for the
user's own tickers only, so the index never reveals which tickers another user follows.
"""

from __future__ import annotations

import logging

import pandas as pd
from langchain_core.documents import Document

from core.config import Settings
from core.errors import CoreError
from core.formatting import MISSING, number, plain_percent
from core.tracking.store import sqlite_path
from core.tracking.summary import latest_backtest_summary

logger = logging.getLogger(__name__)

# The error columns a backtest summary may carry, best first for ranking models.
RANKING_METRICS = ("mase", "mae", "mape", "rmse", "smape")


def tracked_skills(settings: Settings, ticker: str, model: str | None = None) -> list:
    """The latest tracked backtest of each model on `ticker` (`BacktestSkill` records, the
    ones the Stock page shows), or [] when tracking is unreachable or holds none."""
    if (path := sqlite_path(settings.mlflow_tracking_uri)) and not path.exists():
        return []  # no tracking database yet, so no backtest: don't create one just to read it
    try:
        return list(latest_backtest_summary(ticker, settings=settings, model=model))
    except CoreError as exc:
        logger.info("no backtest summary", extra={"ticker": ticker, "reason": exc.message})
        return []


def describe_skill(skill) -> str:
    """A backtest's skill in the Stock page's formats (skill vs naive, MASE, coverage, folds)."""
    metrics = getattr(skill, "metrics", None) or {}
    cover80 = skill.coverage_80 if skill.coverage_80 is not None else metrics.get("coverage_80")
    cover95 = skill.coverage_95 if skill.coverage_95 is not None else metrics.get("coverage_95")
    return (
        f"skill vs naive {plain_percent(skill.skill_vs_naive)} (above 0 means it beat the naive forecast "
        f"'tomorrow = today' in the backtest), MASE {number(skill.mase, 3)}, 80% interval coverage "
        f"{plain_percent(cover80, 0)}, 95% interval coverage {plain_percent(cover95, 0)}; "
        f"{skill.folds or '?'} folds, horizon {skill.horizon or '?'}, data up to {skill.data_end or MISSING}"
    )


def backtest_table(settings: Settings, ticker: str) -> pd.DataFrame | None:
    """The latest backtest's skill per model on `ticker` (a `model` column, metric columns),
    or None when tracking is unavailable (MLflow down) or holds no backtest of it."""
    skills = tracked_skills(settings, ticker)
    rows = [
        {
            **{name: value for name, value in skill.metrics.items() if name in RANKING_METRICS},
            "model": skill.model,
            "mase": skill.mase,
            "coverage_80": skill.coverage_80,
            "coverage_95": skill.coverage_95,
        }
        for skill in skills
    ]
    return pd.DataFrame(rows) if rows else None


def ranking_metric(frame: pd.DataFrame) -> str | None:
    return next((metric for metric in RANKING_METRICS if metric in frame.columns and frame[metric].notna().any()), None)


def describe_backtest(ticker: str, frame: pd.DataFrame) -> str:
    metric = ranking_metric(frame)
    ordered = frame.sort_values(metric) if metric else frame
    parts = []
    for row in ordered.to_dict("records"):
        metrics = [f"{name.upper()} {number(row[name], 3)}" for name in RANKING_METRICS if pd.notna(row.get(name))]
        for level in (80, 95):
            metrics.append(f"{level}% interval coverage {plain_percent(row.get(f'coverage_{level}'), 0)}")
        parts.append(f"{row['model']}: {', '.join(metrics)}")
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
