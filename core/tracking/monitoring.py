"""Realised accuracy over time, logged into one long-lived run of the `monitoring` experiment.

Per ticker and model, the realised MAE, MAPE, MASE and 80%/95% coverage of the predictions
maturing on each date are logged as metrics `<TICKER>/<metric>/<model>` whose step is the
target date in days since 1970-01-01 and whose timestamp is that date, so the MLflow UI plots
the ensemble's accuracy over time next to its members' (same section, adjacent names). The
run's `logged_through` tag remembers the last date logged: evaluating again logs only newer
dates.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd

from core.config import Settings
from core.tracking.runs import log_metrics
from core.tracking.store import MONITORING, experiment_id, get_client, store_errors

logger = logging.getLogger(__name__)

RUN_NAME = "realised-accuracy"
METRICS = ("mae", "mape", "mase", "coverage_80", "coverage_95")
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
        run = client.create_run(experiment, run_name=RUN_NAME, tags={"monitor": RUN_NAME, "purpose": "monitoring"})
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
