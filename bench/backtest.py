"""Backtest benchmark on the development prices: speed and accuracy per model.

    .venv/bin/python bench/backtest.py [PRICES.csv] [--ticker AAPL] [--folds 24] [--horizon 5]
                                       [--refit K] [--jobs N] [--one-ticker-only] [--cli]

The plan is `core.forecasting.backtest.default_config` (24 origins over a year, refitted about
once a quarter and updated in between by the walk-forward engine); `--refit 1` refits at every
origin as before the engine. Prints, per model, the mean seconds of a fit and of an update,
and accuracy (MASE, skill vs naive, coverage of the 80% and 95% intervals), for one ticker with
all six models and then for every ticker, with the whole backtest's wall and CPU time, and
the ensemble's cost per origin against a fit from scratch at every origin, and the cost of one
ensemble fit on its own (no fits shared with the single models; the issue's anchor: 5.4 s).
`--cli` times the command a user runs instead, end to end in its own process:
`python -m core backtest --prices PRICES.csv` (every ticker, six models, the default plan), its
wall and CPU seconds (its worker processes and Prophet's cmdstan included), and prints its
table. Targets on 2 cores: one ticker < 30 s, 30 tickers × 24 folds × six models ≤ 10 min
(42 min refitting every origin), an ensemble fit ≥ 5× cheaper than 5.4 s.
Nothing is left in the tree: MLflow, the app database and outputs go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.forecasting.backtest import BacktestConfig, default_config  # noqa: E402
from core.forecasting.cli import read_price_csv  # noqa: E402
from core.forecasting.service import backtest_models  # noqa: E402
from models.catalog import create_forecaster  # noqa: E402
from models.walk_forward import refit_groups  # noqa: E402

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
    folds = result.folds[result.folds["error"].isna()]
    seconds = folds.groupby(["model", "refitted"])["fit_seconds"].mean().unstack()
    table["fit_s"] = seconds.get(True)
    table["update_s"] = seconds.get(False)
    spent = folds.groupby("model")[["fit_seconds", "predict_seconds"]].sum().sum(axis=1)
    table["per_origin_s"] = spent / folds.groupby("model").size()
    load = "/".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"\n== {title}: {len(histories)} ticker(s), {config.folds} folds every {config.origin_step} sessions, "
        f"H={config.horizon}, refit {config.refit}, {jobs} process(es): {wall:.1f} s wall, {cpu:.1f} CPU s in "
        f"this process and its workers (load average after: {load} on {os.cpu_count()} cores)"
    )
    print(table.drop(columns=["fit_seconds"]).to_string(float_format=lambda v: f"{v:8.3f}"))
    ensemble = table.loc["ensemble"]
    print(
        f"ensemble in the backtest: {ensemble['fit_s']:.2f} s per fit (its members' final fits shared with the "
        f"single models'), {ensemble['per_origin_s']:.2f} s per origin with the refit policy: "
        f"{ensemble['fit_s'] / ensemble['per_origin_s']:.1f}x less than a fit at every origin"
    )
    if len(histories) > 1:
        per_ticker = result.summary().pivot(index="ticker", columns="model", values="mase")
        wins = {m: int((per_ticker[m] < per_ticker["naive"] - 1e-12).sum()) for m in MODELS if m != "naive"}
        print("tickers where the model's MASE beats naive:", wins)
    return result, wall


def ensemble_fit_cost(series, config: BacktestConfig, ticker: str) -> None:
    """One ensemble fit from scratch (its inner backtest and its members' refits, nothing
    shared) at each of the backtest's refit origins of one ticker: wall and CPU seconds."""
    last_origin = len(series) - 1 - config.horizon
    origins = [last_origin - config.origin_step * (config.folds - 1 - k) for k in range(config.folds)]
    refits = [origins[group[0]] for group in refit_groups(config.folds, config.refit)]
    create_forecaster("ensemble").fit(series.iloc[: refits[0] + 1])  # imports and caches warm
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    for origin in refits:
        create_forecaster("ensemble").fit(series.iloc[: origin + 1])
    wall, cpu = (time.perf_counter() - started) / len(refits), (_cpu_seconds() - cpu_started) / len(refits)
    print(
        f"\n== one ensemble fit on its own ({ticker}, mean of {len(refits)} refit origins, one process): "
        f"{wall:.2f} s wall, {cpu:.2f} CPU s (cmdstan included); issue's anchor 5.4 s: {5.4 / wall:.1f}x less"
    )


def run_cli(prices: Path, jobs: int) -> None:
    """`python -m core backtest` on every ticker of `prices`, timed from outside."""
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as work:
        env = {
            **os.environ,
            "MLFLOW_TRACKING_URI": f"sqlite:///{Path(work) / 'mlflow.db'}",
            "DATA_DIR": work,
            "DATABASE_URL": f"sqlite:///{Path(work) / 'stockcast.db'}",
        }
        command = [sys.executable, "-m", "core", "backtest", "--prices", str(prices), "--jobs", str(jobs)]
        command += ["--out", str(Path(work) / "results.json"), "--no-progress"]
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    if done.returncode:
        sys.exit(f"the backtest command failed ({done.returncode}):\n{done.stderr[-3000:]}")
    load = "/".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"== {' '.join(['python', *command[1:4]])} … --jobs {jobs}: {wall:.1f} s wall ({wall / 60:.1f} min; "
        f"target ≤ 10 min), {cpu:.1f} CPU s in it, its workers and cmdstan (load average after: {load} "
        f"on {os.cpu_count()} cores)"
    )
    print(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prices", nargs="?", type=Path, default=REPO / ".." / "shared" / "data" / "prices_dev.csv")
    parser.add_argument("--ticker", default="AAPL")
    parser.add_argument("--folds", type=int, default=24)
    parser.add_argument("--refit", type=int, help="refit every N origins (1: every origin; default: quarterly)")
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--one-ticker-only", action="store_true")
    parser.add_argument("--cli", action="store_true", help="time `python -m core backtest` end to end instead")
    args = parser.parse_args()

    if args.cli:
        run_cli(args.prices.resolve(), args.jobs)
        return
    histories = read_price_csv(args.prices.resolve())
    config = default_config(horizon=args.horizon, folds=args.folds)
    if args.refit is not None:
        config = BacktestConfig(horizon=config.horizon, folds=config.folds, step=config.step, refit=args.refit)
    run({args.ticker: histories[args.ticker]}, config, args.jobs, f"one ticker ({args.ticker})")
    ensemble_fit_cost(histories[args.ticker], config, args.ticker)
    if not args.one_ticker_only:
        run(histories, config, args.jobs, "all tickers")


if __name__ == "__main__":
    main()
