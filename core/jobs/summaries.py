"""One sentence per job run saying what it did, stored with its result (`result["summary"]`)
and shown on the Admin page and by `GET /api/jobs`: rows added, models trained, predictions
scored, documents indexed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.formatting import number


def _count(value: Any) -> str:
    return number(float(value or 0), 0)


def _plural(count: Any, word: str) -> str:
    return f"{_count(count)} {word}{'' if count == 1 else 's'}"


def summarize_refresh(result: dict[str, Any]) -> str:
    updated = result.get("updated") or []
    parts = [
        f"{_plural(result.get('rows_added'), 'price row')} added for {_plural(len(updated), 'ticker')}",
        f"{_plural(result.get('alerts_triggered'), 'alert')} triggered",
        f"{_plural(result.get('predictions_realised'), 'prediction')} scored",
    ]
    return "; ".join(parts) + f" (provider {result.get('provider', '?')})."


def summarize_retrain(result: dict[str, Any]) -> str:
    tickers = result.get("tickers") or {}
    trained = [entry for entry in tickers.values() if entry.get("status") == "trained"]
    outcomes = [outcome for entry in trained for outcome in (entry.get("outcomes") or {}).values()]
    promoted = sum(1 for outcome in outcomes if outcome.get("promoted"))
    up_to_date = len(tickers) - len(trained)
    parts = [
        f"{_plural(len(outcomes), 'model')} trained on {_plural(len(trained), 'ticker')}, {_count(promoted)} promoted",
        f"{_plural(up_to_date, 'ticker')} already up to date",
    ]
    if errors := result.get("errors"):
        parts.append(f"{_plural(len(errors), 'ticker')} failed")
    return "; ".join(parts) + "."


def summarize_evaluate(result: dict[str, Any]) -> str:
    return (
        f"{_plural(result.get('updated'), 'prediction')} scored against realised prices; "
        f"{_plural(result.get('dates_logged'), 'date')} of accuracy logged to MLflow."
    )


def summarize_reindex(result: dict[str, Any]) -> str:
    return f"{_plural(result.get('documents'), 'document')} indexed for the chat assistant."


def summarize_replay(result: dict[str, Any]) -> str:
    tickers = result.get("tickers") or {}
    parts = [
        f"{_plural(result.get('rows_added'), 'forecast step')} replayed for {_plural(len(tickers), 'ticker')}",
        f"{_plural(result.get('predictions_scored'), 'prediction')} scored",
        f"{_plural(result.get('months'), 'month')} of realised accuracy",
    ]
    if error := (result.get("monitoring") or {}).get("monitoring_error"):
        parts.append(f"MLflow not updated: {error}")
    if errors := result.get("errors"):
        parts.append(f"{_plural(len(errors), 'ticker')} failed")
    return "; ".join(parts) + "."


SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "refresh_prices": summarize_refresh,
    "retrain": summarize_retrain,
    "evaluate_realised": summarize_evaluate,
    "reindex_chat": summarize_reindex,
    "replay": summarize_replay,
}


def summarize_result(job: str, result: Any) -> str | None:
    """What a finished run did, in one sentence; None for a job without a summary."""
    summarize = SUMMARIES.get(job)
    if summarize is None or not isinstance(result, dict):
        return None
    return summarize(result)
