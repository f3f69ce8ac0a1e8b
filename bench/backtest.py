"""Backtest benchmark on the development prices: speed and accuracy per model.

    .venv/bin/python bench/backtest.py [PRICES.csv] [--ticker AAPL] [--folds 8] [--horizon 5]
                                       [--jobs N] [--one-ticker-only]

Prints, per model, seconds per fit and accuracy (MASE, skill vs naive, coverage of the 80%
and 95% intervals), for one ticker with all six models and then for every ticker, with the
whole backtest's wall time. Targets on 2 cores: one ticker < 30 s, 30 tickers < 10 min.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.forecasting.backtest import BacktestConfig  # noqa: E402
from core.forecasting.cli import read_price_csv  # noqa: E402
from core.forecasting.service import backtest_models  # noqa: E402

MODELS = ["naive", "drift", "arima", "prophet", "lstm", "ensemble"]
COLUMNS = [
    "mase",
    "skill_vs_naive",
    "dm_pvalue",
    "coverage_80",
    "coverage_95",
    "directional_accuracy",
    "fit_seconds",
    "failed_folds",
]


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(histories, config: BacktestConfig, jobs: int, title: str):
    from tqdm import tqdm

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with tqdm(total=0, unit="fold", file=sys.stderr, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = backtest_models(histories, MODELS, config, n_jobs=jobs, progress=progress)
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    table = result.by_model().set_index("model").loc[MODELS, COLUMNS]
    load = "/".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\n== {title}: {len(histories)} ticker(s), {config.folds} folds, H={config.horizon}, "
        f"{jobs} process(es): {wall:.1f} s wall, {cpu:.1f} CPU s in this process and its workers "
        f"(load average after: {load} on {os.cpu_count()} cores)"
    )
    print(table.to_string(float_format=lambda v: f"{v:8.3f}"))
    if len(histories) > 1:
        per_ticker = result.summary().pivot(index="ticker", columns="model", values="mase")
        wins = {m: int((per_ticker[m] < per_ticker["naive"] - 1e-12).sum()) for m in MODELS if m != "naive"}
        print("tickers where the model's MASE beats naive:", wins)
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prices", nargs="?", type=Path, default=REPO / ".." / "shared" / "data" / "prices_dev.csv")
    parser.add_argument("--ticker", default="AAPL")
    parser.add_argument("--folds", type=int, default=8)
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--one-ticker-only", action="store_true")
    args = parser.parse_args()

    histories = read_price_csv(args.prices.resolve())
    config = BacktestConfig(horizon=args.horizon, folds=args.folds)
    run({args.ticker: histories[args.ticker]}, config, args.jobs, f"one ticker ({args.ticker})")
    if not args.one_ticker_only:
        run(histories, config, args.jobs, "all tickers")


if __name__ == "__main__":
    main()
