"""Realised accuracy over time in the `monitoring` experiment.

Live forecasts: one long-lived run. Per ticker and model, the realised MAE, MAPE, MASE and
80%/95% coverage of the predictions maturing on each date are logged as metrics
`<TICKER>/<metric>/<model>` whose step is the target date in days since 1970-01-01 and whose
timestamp is that date, so the MLflow UI plots the ensemble's accuracy over time next to its
members' (same section, adjacent names). The run's `logged_through` tag remembers the last
date logged: evaluating again logs only newer dates.

The replay (`core.forecasting.replay`): one run per evaluation, named e.g. `all tickers ·
ensemble · h5 · 2016-12-30 · replay`, with the monthly figures of
`core.forecasting.accuracy.realised_by_month` pooled over the replayed tickers as metrics
`<metric>/<model>` stepped (and time-stamped) by the month's first day, plus
`overall/<metric>/<model>` over the whole replay. Logging the same figures again finds the
run already there (tag `fingerprint`) instead of adding another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.config import Settings
from core.tracking.runs import log_metrics, log_params, readable_run_name, tracked_run
from core.tracking.store import MONITORING, experiment_id, get_client, run_url, store_errors

logger = logging.getLogger(__name__)

RUN_NAME = "realised-accuracy"
METRICS = ("mae", "mape", "mase", "coverage_80", "coverage_95")
MONTHLY_MONITOR = "replay-monthly"
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class MonitoringReport:
    run_id: str
    dates_logged: int
    metrics_logged: int
    logged_through: str | None


def monitoring_run_id(settings: Settings) -> str:
    """The long-lived monitoring run, created the first time."""
    client = get_client(settings)
    experiment = experiment_id(settings, MONITORING)
    with store_errors(settings, "finding the monitoring run"):
        runs = client.search_runs(
            [experiment], f"tags.monitor = '{RUN_NAME}'", order_by=["attributes.start_time ASC"], max_results=1
        )
        if runs:
            return runs[0].info.run_id
        run = client.create_run(
            experiment,
            run_name="all tickers · every model · live forecasts · by target date",
            tags={"monitor": RUN_NAME, "purpose": "monitoring"},
        )
        client.set_terminated(run.info.run_id, "FINISHED")
        return run.info.run_id


def _day(value) -> dt.date:
    return pd.Timestamp(value).date()


def log_realised_accuracy(settings: Settings, by_date: pd.DataFrame) -> MonitoringReport:
    """Log rows of `core.forecasting.accuracy.realised_by_date` newer than `logged_through`."""
    run_id = monitoring_run_id(settings)
    client = get_client(settings)
    with store_errors(settings, "reading the monitoring run"):
        through = client.get_run(run_id).data.tags.get("logged_through")
    rows = by_date
    if through and not rows.empty:
        rows = rows[[_day(d) > dt.date.fromisoformat(through) for d in rows["target_date"]]]
    metrics = []
    for row in rows.itertuples(index=False):
        day = _day(row.target_date)
        step = (day - _EPOCH).days
        stamp = int(pd.Timestamp(day, tz="UTC").timestamp() * 1000)
        metrics += [(f"{row.ticker}/{name}/{row.model}", getattr(row, name), step, stamp) for name in METRICS]
        metrics.append((f"{row.ticker}/n/{row.model}", row.n, step, stamp))
    if metrics:
        log_metrics(settings, run_id, metrics)
        through = str(max(_day(d) for d in rows["target_date"]))
        with store_errors(settings, "tagging the monitoring run"):
            client.set_tag(run_id, "logged_through", through)
    dates = 0 if rows.empty else rows["target_date"].nunique()
    logger.info("realised accuracy logged", extra={"run_id": run_id, "dates": dates, "metrics": len(metrics)})
    return MonitoringReport(run_id=run_id, dates_logged=int(dates), metrics_logged=len(metrics), logged_through=through)


@dataclass(frozen=True)
class MonthlyReport:
    run_id: str
    run_url: str
    months: int
    metrics_logged: int
    created: bool  # False: these figures were logged before, by the run returned


def _stamp(day: dt.date) -> tuple[int, int]:
    """A date as (step = days since 1970-01-01, timestamp in ms) for date-stepped metrics."""
    return (day - _EPOCH).days, int(pd.Timestamp(day, tz="UTC").timestamp() * 1000)


def monthly_metric_rows(by_month: pd.DataFrame, overall: pd.DataFrame | None = None) -> list[tuple]:
    """Metric rows of `realised_by_month` (and optional per-model overall figures)."""
    rows = []
    for row in by_month.itertuples(index=False):
        step, stamp = _stamp(_day(row.month))
        rows += [(f"{name}/{row.model}", getattr(row, name), step, stamp) for name in METRICS]
        rows.append((f"n/{row.model}", row.n, step, stamp))
    if overall is not None:
        for row in overall.itertuples(index=False):
            rows += [(f"overall/{name}/{row.model}", getattr(row, name), 0, None) for name in (*METRICS, "n")]
    return rows


def log_monthly_accuracy(
    settings: Settings,
    by_month: pd.DataFrame,
    *,
    model: str,
    horizon: int,
    data_end: str,
    params: Mapping[str, Any],
    overall: pd.DataFrame | None = None,
    scope: str = "all tickers",
) -> MonthlyReport:
    """One `monitoring` run holding the replay's realised accuracy by month (module docstring)."""
    fingerprint = hashlib.sha256((by_month.to_csv(index=False) + repr(sorted(params.items()))).encode()).hexdigest()[
        :16
    ]
    experiment = experiment_id(settings, MONITORING)
    client = get_client(settings)
    with store_errors(settings, "finding the replay's monitoring run"):
        found = client.search_runs(
            [experiment],
            f"tags.monitor = '{MONTHLY_MONITOR}' and tags.fingerprint = '{fingerprint}'",
            max_results=1,
        )
    months = int(by_month["month"].nunique()) if not by_month.empty else 0
    if found:
        run_id = found[0].info.run_id
        return MonthlyReport(run_id, run_url(settings, run_id, MONITORING), months, 0, created=False)
    tags = {
        "monitor": MONTHLY_MONITOR,
        "purpose": "monitoring",
        "source": "replay",
        "fingerprint": fingerprint,
        "ticker": scope,
        "model": model,
        "horizon": str(horizon),
        "data_end": data_end,
        "first_month": str(min(by_month["month"])) if months else "",
        "last_month": str(max(by_month["month"])) if months else "",
    }
    name = readable_run_name(scope, model, horizon, data_end, "replay")
    rows = monthly_metric_rows(by_month, overall)
    with tracked_run(settings, MONITORING, run_name=name, tags=tags) as run_id:
        log_params(settings, run_id, {"horizon": horizon, **dict(params)})
        log_metrics(settings, run_id, rows)
    logger.info("replay accuracy logged by month", extra={"run_id": run_id, "months": months})
    return MonthlyReport(run_id, run_url(settings, run_id, MONITORING), months, len(rows), created=True)
