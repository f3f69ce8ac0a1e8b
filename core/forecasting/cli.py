"""`python -m core backtest …` and `python -m core forecast …` (a contract other tools use).

    backtest --prices FILE.csv [--tickers A,B] --horizon H --folds K [--step S] [--refit N] --models naive,…
             --out results.json [--forecasts-out forecasts.csv] [--jobs N]

`backtest` writes the JSON and prints one line per model pooled over tickers: MASE, skill and
the significance verdict against naive, coverage, width, Winkler and pinball of the
intervals, and the origin range. Without --step, the folds spread over at least a year; without
--refit, models refit about once a quarter and are updated (parameters kept) in between.
    forecast --prices FILE.csv --ticker T --horizon H --model M --out F.csv

FILE.csv has columns date,ticker,open,high,low,close,volume. Without --prices, prices come
from the app's database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

from core.db.session import session_scope
from core.errors import InvalidInputError, NotFoundError
from core.forecasting.backtest import DEFAULT_FOLDS, BacktestConfig, quarterly_refit, spread_step
from core.forecasting.report import model_report
from core.forecasting.service import (
    backtest_models,
    calibration_report,
    forecasts_table,
    make_forecast,
    pooled_rows,
    result_rows,
)
from core.market.repository import list_ticker_rows, read_price_history

CSV_COLUMNS = {"date", "ticker", "close"}
DEFAULT_MODELS = "naive,drift,arima,prophet,lstm,ensemble"


def register(subparsers: argparse._SubParsersAction) -> None:
    backtest = subparsers.add_parser("backtest", help="rolling-origin backtest of forecasting models")
    _add_price_arguments(backtest)
    backtest.add_argument("--tickers", help="comma-separated tickers (default: all)")
    backtest.add_argument("--horizon", type=int, default=5, help="trading days ahead (default 5)")
    backtest.add_argument(
        "--folds", type=int, default=DEFAULT_FOLDS, help=f"number of origins (default {DEFAULT_FOLDS})"
    )
    backtest.add_argument("--step", type=int, help="sessions between origins (default: spread over at least a year)")
    backtest.add_argument("--window", choices=["expanding", "sliding"], default="expanding")
    backtest.add_argument("--train-size", type=int, help="sliding window length in prices")
    backtest.add_argument(
        "--refit",
        type=int,
        help="refit every N origins and update in between (1: refit at every origin, 0: fit once; "
        "default: about once a quarter)",
    )
    backtest.add_argument("--models", default=DEFAULT_MODELS, help=f"comma-separated (default {DEFAULT_MODELS})")
    backtest.add_argument("--out", required=True, type=Path, help="results JSON file")
    backtest.add_argument("--forecasts-out", type=Path, help="CSV of every fold's forecasts")
    backtest.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel processes")
    backtest.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    backtest.set_defaults(func=run_backtest_command)

    forecast = subparsers.add_parser("forecast", help="forecast one ticker with one model")
    _add_price_arguments(forecast)
    forecast.add_argument("--ticker", required=True)
    forecast.add_argument("--horizon", type=int, default=5)
    forecast.add_argument("--model", default="ensemble")
    forecast.add_argument("--train-window", type=int, help="use only the last N prices")
    forecast.add_argument("--weights", help="ensemble weights, e.g. naive=0.5,arima=0.5")
    forecast.add_argument("--out", required=True, type=Path, help="CSV: date,mean,lo80,hi80,lo95,hi95")
    forecast.set_defaults(func=run_forecast_command)


def _add_price_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prices", type=Path, help="CSV of daily prices (default: the app's database)")


def read_price_csv(path: Path, tickers: list[str] | None = None) -> dict[str, pd.Series]:
    """Close prices per ticker from a date,ticker,…,close CSV (rows in any order)."""
    if not path.is_file():
        raise NotFoundError(f"price file {path} does not exist")
    frame = pd.read_csv(path, parse_dates=["date"])
    missing = CSV_COLUMNS - set(frame.columns)
    if missing:
        raise InvalidInputError(f"{path} lacks column(s) {', '.join(sorted(missing))}")
    return _select(
        {t: g.set_index("date")["close"].sort_index() for t, g in frame.groupby("ticker")}, tickers, str(path)
    )


def read_price_database(tickers: list[str] | None = None) -> dict[str, pd.Series]:
    """Close prices per ticker from the app's database (all stored tickers by default)."""

    with session_scope() as session:
        symbols = tickers or [row.symbol for row in list_ticker_rows(session)]
        histories = {t: read_price_history(session, t)["close"] for t in symbols}
    return _select({t: s for t, s in histories.items() if len(s)}, tickers, "the database")


def _select(histories: dict[str, pd.Series], tickers: list[str] | None, source: str) -> dict[str, pd.Series]:
    if tickers:
        absent = [t for t in tickers if t not in histories]
        if absent:
            raise NotFoundError(f"no prices for {', '.join(absent)} in {source}")
        histories = {t: histories[t] for t in tickers}
    if not histories:
        raise NotFoundError(f"no prices in {source}")
    return histories


def _load(args: argparse.Namespace, tickers: list[str] | None) -> dict[str, pd.Series]:
    return read_price_csv(args.prices, tickers) if args.prices else read_price_database(tickers)


def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def run_backtest_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    step = args.step or spread_step(args.folds)
    refit = quarterly_refit(step) if args.refit is None else args.refit
    config = BacktestConfig(
        horizon=args.horizon, folds=args.folds, step=step, window=args.window, train_size=args.train_size, refit=refit
    )
    models = _split(args.models) or []
    histories = _load(args, _split(args.tickers))
    with tqdm(total=0, unit="fold", disable=args.no_progress, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = backtest_models(histories, models, config, n_jobs=args.jobs, progress=progress)
    payload = {
        "pooled": pooled_rows(result, models),  # the table printed below
        "rows": result_rows(result),
        "by_step": result_rows(result, by_step=True),
        "interval_methods": result.interval_methods,
        "calibration": calibration_report(result),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1))  # every value plain: an error, not str(), if not
    if args.forecasts_out:
        args.forecasts_out.parent.mkdir(parents=True, exist_ok=True)
        forecasts_table(result).to_csv(args.forecasts_out, index=False)
    failed = int(result.folds["error"].notna().sum())
    print(model_report(result, models))
    print(
        f"backtested {len(models)} model(s) on {len(histories)} ticker(s): {args.out}"
        + (f" ({failed} fold(s) failed)" if failed else "")
    )
    return 0


def run_forecast_command(args: argparse.Namespace) -> int:
    history = _load(args, [args.ticker])[args.ticker]
    params = {}
    if args.weights:
        try:
            params["weights"] = {k: float(v) for k, v in (p.split("=") for p in _split(args.weights))}
        except ValueError as exc:
            raise InvalidInputError("--weights must look like naive=0.5,arima=0.5") from exc
    frame = make_forecast(
        history, model=args.model, horizon=args.horizon, params=params, train_window=args.train_window
    )
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.model} forecast of {args.ticker}, {args.horizon} trading days: {args.out}")
    return 0
