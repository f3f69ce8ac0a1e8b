"""Loading a registered champion vs training one (the serving path's reason to exist).

For each model on one ticker of the bundled prices, in a temporary MLflow store: seconds to
train a champion (`train_model`: the 8-fold backtest, the final fit, logging and registering),
of which the final fit alone; to load the champion cold (resolve alias, fetch artifacts,
unpickle) and warm (cached per process); and to predict 5 days from it.

    .venv/bin/python bench/registry.py [--ticker AAPL] [--models naive,arima,ensemble]
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
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd

from core.config import Settings
from core.forecasting.training import train_model
from core.tracking.registry import clear_champion_cache, load_champion
from core.tracking.store import ensure_experiments


def read_closes(settings: Settings, ticker: str) -> pd.Series:
    frame = pd.read_csv(settings.bundled_data_dir / "prices.csv.gz", parse_dates=["date"])
    closes = frame[frame["ticker"] == ticker].set_index("date")["close"].astype(float).sort_index()
    closes.name = "close"
    return closes


def timed(func):
    started = time.perf_counter()
    value = func()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticker", default="AAPL")
    parser.add_argument("--models", default="naive,arima,ensemble")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as root:
        settings = Settings(mlflow_tracking_uri=f"sqlite:///{root}/mlflow.db", mlflow_artifact_root=Path(root) / "art")
        ensure_experiments(settings)
        closes = read_closes(settings, args.ticker)
        print(f"{args.ticker}: {len(closes)} daily closes; times in seconds")
        print(f"{'model':<10}{'train':>9}{'fit':>9}{'load cold':>11}{'load warm':>11}{'predict':>9}{'train/load':>12}")
        for model in args.models.split(","):
            outcome, train = timed(
                lambda m=model: train_model(settings, ticker=args.ticker, model=m, series=closes, n_jobs=1)
            )
            clear_champion_cache()
            champion, cold = timed(lambda m=model: load_champion(settings, ticker=args.ticker, model=m))
            _, warm = timed(lambda m=model: load_champion(settings, ticker=args.ticker, model=m))
            _, predict = timed(lambda c=champion: c.forecaster.predict(5))
            print(
                f"{model:<10}{train:>9.3f}{outcome.fit_seconds:>9.3f}{cold:>11.3f}{warm:>11.4f}{predict:>9.3f}"
                f"{train / cold:>11.0f}x"
            )


if __name__ == "__main__":
    main()
