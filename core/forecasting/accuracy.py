"""Accuracy over time: score the forecasts the app showed once their prices are known.

`update_realised` fills `realised_value` of every stored prediction whose target date now has
a stored close (called after each price refresh). `realised_accuracy` reports, per ticker
and model, the trailing realised accuracy: n, MAE, MAPE (%), MASE and 80%/95% coverage.
MASE scales each error by the mean absolute daily change of the ticker's closes over the
`SCALE_WINDOW` sessions up to the prediction's origin (the one-step naive MAE the backtests
use, measured on what was known when the forecast was made). `realised_by_month` gives the
same metrics per model and calendar month of the target dates, pooled over tickers and over
a trailing window of months (accuracy over time).

Predictions made by the replay (`core.forecasting.replay`) have `replayed=True` and no user;
`replayed` selects them (True), the live ones (False) or both (None). `visible_to=user` keeps
that user's own predictions and those of nobody (replayed ones, forecasts made without a
log-in) for the tickers the user trades, watches or has forecast (an admin: all), never another user's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from core.db.tables import PredictionHistory, Price, Role, Transaction, User, WatchlistItem
from core.errors import InvalidInputError
from core.prometheus_metrics import observe_forecast_error
from models.walk_forward import naive_scale

SCALE_WINDOW = 250
ACCURACY_COLUMNS = [
    "ticker",
    "model",
    "replayed",
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

    rows = session.execute(
        select(PredictionHistory.model, PredictionHistory.predicted_value, PredictionHistory.realised_value).where(
            PredictionHistory.realised_at == realised_at, PredictionHistory.replayed.is_(False)
        )
    ).all()
    for model, predicted, realised in rows:
        if realised:
            observe_forecast_error(model, abs_pct_error=abs(predicted - realised) / abs(realised))


def shared_rows_visible_to(user: User):
    """The shared (replayed, logged-out) predictions a user may see: an admin all of them,
    anyone else those of tickers they trade, watch or have forecast, since which tickers the
    replay covered would otherwise name what other users hold."""
    shared = PredictionHistory.user_id.is_(None)
    if user.role == Role.ADMIN:
        return shared
    traded = select(Transaction.ticker).where(Transaction.owner_id == user.id)
    watched = select(WatchlistItem.ticker).where(WatchlistItem.owner_id == user.id)
    forecast = select(PredictionHistory.ticker).where(PredictionHistory.user_id == user.id)
    return and_(shared, PredictionHistory.ticker.in_(traded.union(watched, forecast)))


def realised_predictions(
    session: Session,
    *,
    ticker: str | None = None,
    model: str | None = None,
    user: User | None = None,
    since: dt.date | None = None,
    replayed: bool | None = None,
    visible_to: User | None = None,
    versions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Matured predictions with their realised value, error and naive scale, one row each
    (`versions`: only these model versions)."""
    query = select(PredictionHistory).where(PredictionHistory.realised_value.is_not(None))
    if versions is not None:
        query = query.where(PredictionHistory.model_version.in_(list(versions)))
    if replayed is not None:
        query = query.where(PredictionHistory.replayed.is_(replayed))
    if visible_to is not None:
        query = query.where(or_(PredictionHistory.user_id == visible_to.id, shared_rows_visible_to(visible_to)))
    if ticker:
        query = query.where(PredictionHistory.ticker == ticker.upper())
    if model:
        query = query.where(PredictionHistory.model == model)
    if user is not None:
        query = query.where(PredictionHistory.user_id == user.id)
    if since is not None:
        query = query.where(PredictionHistory.target_date >= since)
    # populate_existing: `update_realised` writes in bulk, so objects already loaded are stale.
    query = query.order_by(PredictionHistory.target_date, PredictionHistory.id)
    rows = session.scalars(query.execution_options(populate_existing=True)).all()
    columns = [
        "ticker",
        "model",
        "model_version",
        "origin_date",
        "target_date",
        "horizon_step",
        "replayed",
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
        values = closes.to_numpy()
        positions = closes.index.searchsorted(group["origin_date"].to_numpy(), side="right") - 1
        # The one MASE scale (`naive_scale`): SCALE_WINDOW daily changes up to each origin.
        by_position = {
            p: naive_scale(values[: p + 1], window=SCALE_WINDOW + 1) if p >= 0 else np.nan for p in set(positions)
        }
        scales[group.index] = [by_position[p] for p in positions]
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
    replayed: bool | None = None,
    visible_to: User | None = None,
) -> pd.DataFrame:
    """Trailing realised accuracy per ticker, model and kind (replayed or live; columns
    `ACCURACY_COLUMNS`).

    `days` keeps predictions whose target date is within that many days of the newest one.
    """
    frame = realised_predictions(
        session, ticker=ticker, model=model, user=user, replayed=replayed, visible_to=visible_to
    )
    if frame.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    if days is not None:
        frame = frame[frame["target_date"] >= max(frame["target_date"]) - dt.timedelta(days=days)]
    rows = [
        {
            "ticker": t,
            "model": m,
            "replayed": bool(r),
            **score_realised(g),
            "first_target": g["target_date"].min(),
            "last_target": g["target_date"].max(),
        }
        for (t, m, r), g in frame.groupby(["ticker", "model", "replayed"])
    ]
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def realised_by_date(session: Session, *, since: dt.date | None = None, replayed: bool | None = None) -> pd.DataFrame:
    """Realised metrics per ticker, model and target date (for accuracy-over-time charts)."""
    frame = realised_predictions(session, since=since, replayed=replayed)
    columns = ["ticker", "model", "target_date", "n", "mae", "mape", "mase", "coverage_80", "coverage_95"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    rows = [
        {"ticker": t, "model": m, "target_date": d, **score_realised(g)}
        for (t, m, d), g in frame.groupby(["ticker", "model", "target_date"])
    ]
    return pd.DataFrame(rows, columns=columns)


MONTHLY_COLUMNS = ["month", "model", "n", "tickers", "mae", "mape", "mase", "coverage_80", "coverage_95"]


def realised_by_month(
    session: Session,
    *,
    ticker: str | None = None,
    replayed: bool | None = None,
    visible_to: User | None = None,
    versions: Sequence[str] | None = None,
    window_months: int = 1,
) -> pd.DataFrame:
    """Realised metrics per model and month of the target dates (columns `MONTHLY_COLUMNS`;
    `month` is the month's first day), pooled over tickers and over the `window_months`
    calendar months ending with that month (1: the month alone). Months with no matured
    prediction of a model have no row for it.
    """
    if window_months < 1:
        raise InvalidInputError("the rolling window must be at least one month")
    frame = realised_predictions(session, ticker=ticker, replayed=replayed, visible_to=visible_to, versions=versions)
    if frame.empty:
        return pd.DataFrame(columns=MONTHLY_COLUMNS)
    frame["period"] = pd.to_datetime(frame["target_date"]).dt.to_period("M")
    rows = []
    for model_name, group in frame.groupby("model"):
        for month in sorted(group["period"].unique()):
            pooled = group[(group["period"] > month - window_months) & (group["period"] <= month)]
            rows.append(
                {
                    "month": month.to_timestamp().date(),
                    "model": model_name,
                    "tickers": int(pooled["ticker"].nunique()),
                    **score_realised(pooled),
                }
            )
    return pd.DataFrame(rows, columns=MONTHLY_COLUMNS).sort_values(["model", "month"], ignore_index=True)
