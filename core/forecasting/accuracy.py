"""Accuracy over time: score the forecasts the app showed once their prices are known.

`update_realised` fills `realised_value` of every stored prediction whose target date now has
a stored close (called after each price refresh). `realised_accuracy` reports, per ticker
and model, the trailing realised accuracy: n, MAE, MAPE (%), MASE and 80%/95% coverage.
MASE scales each error by the mean absolute daily change of the ticker's closes over the
`SCALE_WINDOW` sessions up to the prediction's origin (the one-step naive MAE the backtests
use, measured on what was known when the forecast was made).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from core.db.tables import PredictionHistory, Price, User

SCALE_WINDOW = 250
ACCURACY_COLUMNS = [
    "ticker",
    "model",
    "n",
    "mae",
    "mape",
    "mase",
    "coverage_80",
    "coverage_95",
    "first_target",
    "last_target",
]


def update_realised(session: Session) -> int:
    """Fill the realised close of matured predictions; returns how many were filled."""
    close = (
        select(Price.close)
        .where(Price.ticker == PredictionHistory.ticker, Price.date == PredictionHistory.target_date)
        .scalar_subquery()
    )
    has_price = exists().where(
        and_(Price.ticker == PredictionHistory.ticker, Price.date == PredictionHistory.target_date)
    )
    stamp = dt.datetime.now(dt.UTC)
    statement = (
        update(PredictionHistory)
        .where(PredictionHistory.realised_value.is_(None), has_price)
        .values(realised_value=close, realised_at=stamp)
        .execution_options(synchronize_session=False)
    )
    filled = int(session.execute(statement).rowcount or 0)
    if filled:
        _observe_errors(session, stamp)
    return filled


def _observe_errors(session: Session, realised_at: dt.datetime) -> None:
    """Feed the newly scored predictions' errors to the Prometheus histogram."""
    from core.metrics import observe_forecast_error

    rows = session.execute(
        select(PredictionHistory.model, PredictionHistory.predicted_value, PredictionHistory.realised_value).where(
            PredictionHistory.realised_at == realised_at
        )
    ).all()
    for model, predicted, realised in rows:
        if realised:
            observe_forecast_error(model, abs_pct_error=abs(predicted - realised) / abs(realised))


def realised_predictions(
    session: Session,
    *,
    ticker: str | None = None,
    model: str | None = None,
    user: User | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Matured predictions with their realised value, error and naive scale, one row each."""
    query = select(PredictionHistory).where(PredictionHistory.realised_value.is_not(None))
    if ticker:
        query = query.where(PredictionHistory.ticker == ticker.upper())
    if model:
        query = query.where(PredictionHistory.model == model)
    if user is not None:
        query = query.where(PredictionHistory.user_id == user.id)
    if since is not None:
        query = query.where(PredictionHistory.target_date >= since)
    rows = session.scalars(query.order_by(PredictionHistory.target_date, PredictionHistory.id)).all()
    columns = [
        "ticker",
        "model",
        "model_version",
        "origin_date",
        "target_date",
        "horizon_step",
        "predicted_value",
        "lo80",
        "hi80",
        "lo95",
        "hi95",
        "realised_value",
    ]
    frame = pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)
    frame["error"] = frame["realised_value"] - frame["predicted_value"]
    frame["scale"] = _naive_scales(session, frame)
    return frame


def _naive_scales(session: Session, frame: pd.DataFrame) -> pd.Series:
    scales = pd.Series(np.nan, index=frame.index, dtype=float)
    for symbol, group in frame.groupby("ticker"):
        closes = pd.Series(
            dict(
                session.execute(
                    select(Price.date, Price.close).where(Price.ticker == symbol).order_by(Price.date)
                ).all()
            ),
            dtype=float,
        )
        if closes.empty:
            continue
        rolling = closes.diff().abs().rolling(SCALE_WINDOW, min_periods=2).mean()
        positions = rolling.index.searchsorted(group["origin_date"].to_numpy(), side="right") - 1
        values = rolling.to_numpy()[np.clip(positions, 0, None)]
        scales[group.index] = np.where(positions >= 0, values, np.nan)
    return scales


def score_realised(group: pd.DataFrame) -> dict[str, float]:
    """Realised metrics of a group of matured predictions."""
    actual, error = group["realised_value"].to_numpy(float), group["error"].to_numpy(float)
    scale = group["scale"].to_numpy(float)
    scaled = np.abs(error) / scale
    return {
        "n": len(group),
        "mae": float(np.mean(np.abs(error))),
        "mape": float(100 * np.mean(np.abs(error / actual))),
        "mase": float(np.nanmean(scaled)) if np.isfinite(scaled).any() else float("nan"),
        "coverage_80": _coverage(group, "80"),
        "coverage_95": _coverage(group, "95"),
    }


def _coverage(group: pd.DataFrame, level: str) -> float:
    bounded = group.dropna(subset=[f"lo{level}", f"hi{level}"])
    if bounded.empty:
        return float("nan")
    inside = (bounded["realised_value"] >= bounded[f"lo{level}"]) & (bounded["realised_value"] <= bounded[f"hi{level}"])
    return float(inside.mean())


def realised_accuracy(
    session: Session,
    *,
    ticker: str | None = None,
    model: str | None = None,
    user: User | None = None,
    days: int | None = None,
) -> pd.DataFrame:
    """Trailing realised accuracy per ticker and model (columns `ACCURACY_COLUMNS`).

    `days` keeps predictions whose target date is within that many days of the newest one.
    """
    frame = realised_predictions(session, ticker=ticker, model=model, user=user)
    if frame.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    if days is not None:
        frame = frame[frame["target_date"] >= max(frame["target_date"]) - dt.timedelta(days=days)]
    rows = [
        {
            "ticker": t,
            "model": m,
            **score_realised(g),
            "first_target": g["target_date"].min(),
            "last_target": g["target_date"].max(),
        }
        for (t, m), g in frame.groupby(["ticker", "model"])
    ]
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def realised_by_date(session: Session, *, since: dt.date | None = None) -> pd.DataFrame:
    """Realised metrics per ticker, model and target date (for accuracy-over-time charts)."""
    frame = realised_predictions(session, since=since)
    columns = ["ticker", "model", "target_date", "n", "mae", "mape", "mase", "coverage_80", "coverage_95"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = [
        {"ticker": t, "model": m, "target_date": d, **score_realised(g)}
        for (t, m, d), g in frame.groupby(["ticker", "model", "target_date"])
    ]
    return pd.DataFrame(rows, columns=columns)
