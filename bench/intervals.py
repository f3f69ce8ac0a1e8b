"""Interval benchmark on the development prices, tuned and checked on different data.

    .venv/bin/python bench/intervals.py [PRICES.csv] [--models naive,drift,arima,ensemble]
                                        [--horizon 5] [--folds 24] [--step 10] [--jobs 2]
                                        [--skip-tuning]

The 30 development tickers are split by a fixed seed into 15 tuning and 15 checking tickers.
1. Tuning (prices through 2015 of the tuning tickers only): per-ticker GARCH(1,1) fits with
   `arch` (to show how noisy they are), then a grid of pooled (window, α, φ = α + β): level
   scales as quantiles of |5-day log return| / √V(5), and how far coverage drifts from
   nominal from one half-year to the next (lower is steadier) — the figures behind the
   constants in `models.volatility`; each line also shows that choice's 2016 held-out coverage.
   Then the variance models side by side (GARCH, GJR-GARCH, two-speed EWMA, and COMBINED, the
   ensemble's mean of the last two): scales fitted on the tuning data, Winkler 80 / 95 of
   bands around the naive path and coverage on every origin of the checking tickers.
2. Checking (other tickers, origins in 2016 — dates the tuning never saw): a rolling-origin
   backtest printing per model, beside naive, MASE, skill and its DM verdict, coverage of the
   80% and 95% intervals, relative width, Winkler 80/95 and pinball.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.forecasting.backtest import BacktestConfig  # noqa: E402
from core.forecasting.cli import read_price_csv  # noqa: E402
from core.forecasting.report import model_report  # noqa: E402
from core.forecasting.service import backtest_models  # noqa: E402
from models import volatility  # noqa: E402

SEED, TUNE_END, CHECK_YEAR = 13, "2015-12-31", "2016"


def split_tickers(tickers: list[str]) -> tuple[list[str], list[str]]:
    order = list(np.random.default_rng(SEED).permutation(sorted(tickers)))
    return sorted(order[: len(order) // 2]), sorted(order[len(order) // 2 :])


GRID = [(w, a, phi) for w in (250, 500, 1000) for a, phi in ((0.05, 0.90), (0.05, 0.95), (0.06, 0.99), (0.06, 0.999))]


def _scores(histories: dict[str, pd.Series], window: int, alpha: float, phi: float, horizon: int = 5):
    """(origin date, |z|) with z the h-step log return over √V(h), origins every 5 sessions."""
    rows = []
    for series in histories.values():
        log_prices, dates = np.log(series.to_numpy()), series.index
        for origin in range(250, len(log_prices) - horizon, 5):
            returns = np.diff(log_prices[: origin + 1])[-window:]
            variance = volatility.garch_variance(returns, horizon, alpha=alpha, beta=phi - alpha)
            rows.append((dates[origin], abs(log_prices[origin + horizon] - log_prices[origin]) / np.sqrt(variance[-1])))
    return pd.DataFrame(rows, columns=["date", "z"])


def _coverage(z: pd.Series, scales: dict[int, float]) -> dict[int, float]:
    return {level: float((z < scale * volatility.Z[level]).mean()) for level, scale in scales.items()}


def tune(histories: dict[str, pd.Series], checking: dict[str, pd.Series]) -> None:
    from arch import arch_model

    fits = []
    for series in histories.values():
        r = np.diff(np.log(series[:TUNE_END].to_numpy()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params = arch_model(100 * r, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off").params
        fits.append((params["alpha[1]"], params["beta[1]"]))
    fits = np.array(fits)
    print(
        f"per-ticker arch GARCH(1,1): α from {fits[:, 0].min():.3f} to {fits[:, 0].max():.3f}, "
        f"α + β from {fits.sum(1).min():.3f} to {fits.sum(1).max():.3f}: too noisy to use one by one"
    )
    print("grid (tuning tickers ≤ 2015: scales, mean |half-year coverage − nominal|; check: held-out 2016)")
    tuning = {t: s[:TUNE_END] for t, s in histories.items()}
    for window, alpha, phi in GRID:
        scores = _scores(tuning, window, alpha, phi)
        scales = {level: float(np.quantile(scores["z"], level / 100) / volatility.Z[level]) for level in (80, 95)}
        halves = scores.groupby(scores["date"].dt.year * 2 + (scores["date"].dt.month > 6))["z"]
        drift = {lv: np.mean([abs(_coverage(z, scales)[lv] - lv / 100) for _, z in halves]) for lv in scales}
        held = _scores({t: s[: f"{CHECK_YEAR}-12-31"] for t, s in checking.items()}, window, alpha, phi)
        held = _coverage(held[held["date"].dt.year == int(CHECK_YEAR)]["z"], scales)
        print(
            f"  window {window:4d} α {alpha} φ {phi}: scales {scales[80]:.3f}/{scales[95]:.3f}, "
            f"drift {drift[80]:.3f}/{drift[95]:.3f}, check 2016 {held[80]:.3f}/{held[95]:.3f}"
        )
    print(
        f"models.volatility uses window {volatility.VARIANCE_WINDOW}, α {volatility.GARCH_ALPHA}, "
        f"β {volatility.GARCH_BETA}, scales {volatility.GARCH.level_scale} "
        f"(the ensemble's combined variance: {volatility.COMBINED.level_scale})"
    )


VARIANCE_MODELS = {
    "garch": volatility.garch_variance,
    "gjr": lambda r, h: volatility.garch_variance(
        r, h, alpha=volatility.GJR_ALPHA, beta=volatility.GJR_BETA, gamma=volatility.GJR_GAMMA
    ),
    "ewma": volatility.ewma_variance,
    "combined": volatility.combined_variance,
}


def _paths(histories: dict[str, pd.Series], variance, horizon: int = 5, start: int = 260) -> pd.DataFrame:
    """Per origin (every 5 sessions): the h-step log moves, their √V, and the ticker's mean |return|."""
    rows = []
    for series in histories.values():
        log_prices = np.log(series.to_numpy())
        returns = np.diff(log_prices)
        scale = float(np.mean(np.abs(returns)))
        for origin in range(start, len(log_prices) - horizon, 5):
            sd = np.sqrt(variance(returns[max(0, origin - volatility.VARIANCE_WINDOW) : origin], horizon))
            rows.append((log_prices[origin + 1 : origin + 1 + horizon] - log_prices[origin], sd, scale))
    return pd.DataFrame(rows, columns=["move", "sd", "scale"])


def compare_variance_models(tuning: dict[str, pd.Series], checking: dict[str, pd.Series]) -> None:
    print("variance models (scales fitted on the tuning tickers ≤ 2015; checking tickers, every origin):")
    for name, variance in VARIANCE_MODELS.items():
        fitted, held = _paths({t: s[:TUNE_END] for t, s in tuning.items()}, variance), _paths(checking, variance)
        fit_z = np.abs(np.stack(fitted["move"]) / np.stack(fitted["sd"]))
        move, sd, scale = np.stack(held["move"]), np.stack(held["sd"]), held["scale"].to_numpy()[:, None]
        parts = []
        for level in (80, 95):
            alpha, half = 1 - level / 100, np.quantile(fit_z, level / 100) * sd
            winkler = (2 * half + (2 / alpha) * np.clip(np.abs(move) - half, 0, None)) / scale
            parts.append(f"{level}%: coverage {np.mean(np.abs(move) <= half):.1%}, Winkler {winkler.mean():.3f}")
        print(f"  {name:9s} " + "; ".join(parts))


def check(histories: dict[str, pd.Series], models: list[str], config: BacktestConfig, jobs: int) -> None:
    from tqdm import tqdm

    # Prices end with the check year; the last origin is `horizon` sessions before its end.
    histories = {t: s[: f"{CHECK_YEAR}-12-31"] for t, s in histories.items()}
    started = time.perf_counter()
    with tqdm(total=0, unit="fold", file=sys.stderr, leave=False) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = backtest_models(histories, models, config, n_jobs=jobs, progress=progress)
    first, _ = result.origin_range()
    if str(first.year) != CHECK_YEAR:
        print(f"warning: the first origin {first.date()} is before {CHECK_YEAR}: fewer folds or a shorter step")
    print(f"\n== check: {len(histories)} held-out tickers, {time.perf_counter() - started:.0f} s")
    print(model_report(result, models))
    failed = int(result.folds["error"].notna().sum())
    if failed:
        print(f"{failed} fold(s) failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prices", nargs="?", type=Path, default=REPO / ".." / "shared" / "data" / "prices_dev.csv")
    parser.add_argument("--models", default="naive,drift,arima,ensemble")
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--folds", type=int, default=24)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--skip-tuning", action="store_true")
    args = parser.parse_args()

    histories = read_price_csv(args.prices.resolve())
    tuning, checking = split_tickers(list(histories))
    print("tuning tickers:", ", ".join(tuning))
    print("checking tickers:", ", ".join(checking))
    if not args.skip_tuning:
        tune({t: histories[t] for t in tuning}, {t: histories[t] for t in checking})
        compare_variance_models({t: histories[t] for t in tuning}, {t: histories[t] for t in checking})
    config = BacktestConfig(horizon=args.horizon, folds=args.folds, step=args.step)
    check({t: histories[t] for t in checking}, args.models.split(","), config, args.jobs)


if __name__ == "__main__":
    main()
