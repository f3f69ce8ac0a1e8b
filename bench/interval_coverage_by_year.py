"""Coverage of the volatility bands by calendar year on the development prices, and the level
scales the pooled data would choose — the figures behind each `VolatilityModel.level_scale`
in `models.volatility` (GARCH for the single models, COMBINED for the ensemble).

    .venv/bin/python bench/interval_coverage_by_year.py [PRICES.csv] [--horizon 5] [--step 3]

Bands around the naive path, origins every `step` sessions from the 130th price on, steps
1..horizon pooled.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.volatility import VOLATILITY_MODELS, VolatilityModel  # noqa: E402

DEFAULT_PRICES = REPO.parent / "shared" / "data" / "prices_dev.csv"


def standardised_errors(prices: pd.DataFrame, model: VolatilityModel, horizon: int, step: int) -> pd.DataFrame:
    rows = []
    for ticker, group in prices.groupby("ticker"):
        log_prices, dates = np.log(group["close"].to_numpy()), group["date"].to_numpy()
        for origin in range(130, len(log_prices) - horizon, step):
            sd = np.sqrt(model.horizon_variance(log_prices[: origin + 1], horizon))
            z = np.abs(log_prices[origin + 1 : origin + 1 + horizon] - log_prices[origin]) / sd
            rows.extend((ticker, dates[origin], h + 1, z[h]) for h in range(horizon))
    frame = pd.DataFrame(rows, columns=["ticker", "origin", "step", "abs_z"])
    frame["year"] = pd.to_datetime(frame["origin"]).dt.year
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prices", nargs="?", default=str(DEFAULT_PRICES))
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--step", type=int, default=3)
    args = parser.parse_args()
    prices = pd.read_csv(args.prices, parse_dates=["date"]).sort_values(["ticker", "date"])
    for model in VOLATILITY_MODELS.values():
        errors = standardised_errors(prices, model, args.horizon, args.step)
        print(
            f"{model.name}: {prices['ticker'].nunique()} tickers, {len(errors):,} scored steps, "
            f"scales in use {model.level_scale}"
        )
        for level, scale in model.level_scale.items():
            z = float(norm.ppf(0.5 + level / 200))
            pooled = errors["abs_z"].quantile(level / 100) / z
            by_year = errors.groupby("year")["abs_z"].apply(lambda a, s=scale, q=z: float((a <= s * q).mean()))
            years = "  ".join(f"{year}: {share:.1%}" for year, share in by_year.items())
            overall = float((errors["abs_z"] <= scale * z).mean())
            print(f"  {level}%: pooled scale {pooled:.3f}; coverage by year  {years}  all: {overall:.1%}")


if __name__ == "__main__":
    main()
