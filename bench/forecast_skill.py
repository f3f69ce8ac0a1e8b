"""The skill of exactly the forecast shown: what it costs and what it says.

For one ticker of the bundled prices, in a temporary database and MLflow store, measures the
skill backtest of each configuration (default weights, then hand weights when given) the way
the Predictions page does (`core.forecasting.service.forecast_skill`): folds, the date span of
the origins, MASE beside naive's, skill, Diebold–Mariano p-value, the verdict, and seconds
for the backtest and for the cached second request.

    .venv/bin/python bench/forecast_skill.py [--ticker KO] [--models arima,prophet,lstm]
        [--weights arima:0.6,prophet:0.2,lstm:0.2] [--horizon 10] [--window 504] [--folds 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from core.forecasting.service import forecast_skill, parse_weights
from core.formatting import number, signed_percent
from core.market.service import load_bundled_prices
from core.tracking.store import ensure_experiments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticker", default="KO")
    parser.add_argument("--models", default="arima,prophet,lstm", help="one model, or ensemble members")
    parser.add_argument("--weights", default="", help="hand weights, name:value,… (also measured)")
    parser.add_argument("--horizon", type=int, default=10)
    parser.add_argument("--window", type=int, default=None)
    parser.add_argument("--folds", type=int, default=20)
    parser.add_argument("--span", type=int, default=260)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="skill-bench-"))
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
        load_bundled_prices(session, settings=settings, tickers=[args.ticker])

    members = [m.strip() for m in args.models.split(",") if m.strip()]
    base = {"ticker": args.ticker, "horizon": args.horizon, "window": args.window}
    base.update({"model": members[0]} if len(members) == 1 else {"model": "ensemble", "models": members})
    configurations = [("default weights", {})]
    if args.weights:
        configurations.append(("hand weights", {"weights": parse_weights(args.weights)}))
    print(
        f"{'configuration':<16} {'folds':>5} {'origins':<24} {'MASE':>6} {'naive':>6} {'skill':>7} {'DM p':>7}"
        f" {'verdict':<21} {'run s':>7} {'cached s':>8}"
    )
    for label, extra in configurations:
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            with session_scope(settings) as session:
                skill = forecast_skill(session, settings=settings, **base, **extra)
            timings.append(time.perf_counter() - started)
        print(
            f"{label:<16} {skill.folds:>5} {skill.origin_span:<24} {number(skill.mase, 3):>6} "
            f"{number(skill.naive_mase, 3):>6} {signed_percent(skill.skill_vs_naive, 1):>7} "
            f"{skill.verdict.p_text():>7} {skill.verdict.label:<21} {timings[0]:>7.1f} {timings[1]:>8.2f}"
        )


if __name__ == "__main__":
    main()
