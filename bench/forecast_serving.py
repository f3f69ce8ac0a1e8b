"""Forecast first, its skill after: what a user waits for the default (champion) forecast.

In a temporary database and MLflow store with the bundled prices of one ticker, through the
entry points the faces use (`core.forecasting.delivery`), prints:

- cold forecast to drawn: the default configuration with no champion registered and no skill
  stored (the forecast is fitted on the spot; the process has imported its libraries, as a
  running server has): target ≤ 3 s;
- cold skill, and cold forecast + skill: the backtest of exactly that configuration: ≤ 20 s;
- warm: after the retrain job registered the champion and precomputed its forecast and skill
  for held and watched tickers, the same request again: ≤ 300 ms (median of 5).

    .venv/bin/python bench/forecast_serving.py [--ticker KO] [--folds 20] [--span 260]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from core.auth.schemas import UserCreate
from core.auth.service import register_user
from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from core.db.tables import JobStatus
from core.forecasting.champion import champion_config
from core.forecasting.delivery import serve_forecast, serve_skill
from core.jobs.runner import run_job
from core.market.service import load_bundled_prices
from core.portfolio.alerts import add_to_watchlist
from core.portfolio.schemas import WatchlistItemCreate
from core.tracking.store import ensure_experiments


def timed(work):
    started = time.perf_counter()
    value = work()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticker", default="KO")
    parser.add_argument("--warm-up", default="JNJ", help="another ticker served first, as a running server has")
    parser.add_argument("--folds", type=int, default=20)
    parser.add_argument("--span", type=int, default=260)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    settings = Settings(
        database_url=f"sqlite:///{root / 'app.db'}",
        data_dir=root,
        mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
        mlflow_artifact_root=root / "artifacts",
        migrate_on_start=False,
        offline=True,
        skill_folds=args.folds,
        skill_span=args.span,
    )
    upgrade_to_head(settings.database_url)
    ensure_experiments(settings)
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=[args.ticker, args.warm_up])
        analyst = register_user(session, data=UserCreate(email="bench@example.com", password="correct-horse-1"))
        add_to_watchlist(session, owner=analyst, data=WatchlistItemCreate(ticker=args.ticker))
    champion = champion_config(settings)
    print(
        f"champion configuration: {champion.describe()}; "
        f"skill on {champion.skill_folds} origins over {champion.skill_span} sessions"
    )
    print(f"cores: {os.cpu_count()}, backtest workers: {settings.backtest_workers or os.cpu_count()}")

    # A running server has imported its libraries (torch, prophet, statsforecast) already:
    # it has served another ticker's forecast before this one's first.
    _, imports = timed(lambda: serve_forecast(settings, ticker=args.warm_up, record=False))
    print(f"server warm-up ({args.warm_up} forecast, imports) in {imports:.1f} s (not counted below)")

    forecast, cold_forecast = timed(lambda: serve_forecast(settings, ticker=args.ticker))
    assert forecast.skill is None, "cold: no skill stored yet"
    print(f"cold forecast to drawn     {cold_forecast:7.2f} s  ({forecast.source}, {len(forecast.frame)} sessions)")
    skill, cold_skill = timed(lambda: serve_skill(settings, ticker=args.ticker))
    print(f"cold skill                 {cold_skill:7.2f} s  ({skill.folds} folds, {skill.text()})")
    print(f"cold forecast + skill      {cold_forecast + cold_skill:7.2f} s")

    # The retrain job: register the champion, then precompute the forecast and skill of
    # held and watched tickers (the bench's analyst watches the ticker).
    run, retrain = timed(lambda: run_job("retrain", settings=settings, args={"tickers": args.ticker, "force": True}))
    assert run.status == JobStatus.SUCCEEDED, run.error
    print(f"retrain job {retrain:.1f} s; precomputed: {run.result['precomputed']}")

    runs = []
    for _ in range(5):
        warm, seconds = timed(lambda: serve_forecast(settings, ticker=args.ticker))
        runs.append(seconds)
    assert warm.skill is not None and warm.source == "champion"
    print(
        f"warm forecast with skill   {statistics.median(runs) * 1000:7.0f} ms median of 5 "
        f"(min {min(runs) * 1000:.0f}, max {max(runs) * 1000:.0f}; {warm.source} v{warm.model_version})"
    )


if __name__ == "__main__":
    main()
