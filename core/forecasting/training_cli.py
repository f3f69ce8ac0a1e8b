"""`python -m core train`, `python -m core evaluate-realised` and `python -m core replay`.

train: for each ticker, backtest the model, log the runs, register a version of
`<TICKER>-<model>` and move the `champion` alias if it wins; prints the decision.
evaluate-realised: fill realised values of matured predictions, print trailing realised
accuracy, and log it by date into the MLflow monitoring run.
replay: walk forward over the stored history as if live (`core.forecasting.replay`), score
the replayed forecasts and log their accuracy by month to MLflow; prints the monthly figures.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.config import get_settings
from core.db.session import ShortUnits, session_scope
from core.errors import InvalidInputError, ServiceUnavailableError
from core.forecasting.accuracy import realised_accuracy, realised_by_date, realised_by_month, update_realised
from core.forecasting.replay import ReplayConfig
from core.forecasting.replay_monitoring import replay_and_log, replay_ticker_list
from core.forecasting.serving import load_closes
from core.forecasting.training import train_model
from core.tracking.monitoring import log_realised_accuracy


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train, backtest, log to MLflow, register, maybe promote")
    train.add_argument("--ticker", required=True, help="one ticker or a comma-separated list")
    train.add_argument("--model", default="ensemble", help="catalog model name (default: ensemble)")
    train.add_argument("--horizon", type=int, default=5, help="backtest horizon in trading days")
    train.add_argument("--folds", type=int, default=8, help="backtest folds")
    train.add_argument("--params", default="{}", help="model parameters as JSON, e.g. '{\"max_order\": 3}'")
    train.add_argument("--workers", type=int, default=None, help="backtest processes (default: settings)")
    train.set_defaults(func=_train)
    evaluate = subparsers.add_parser("evaluate-realised", help="score matured predictions; log them to MLflow")
    evaluate.add_argument("--days", type=int, default=None, help="trailing window of target dates to report")
    evaluate.set_defaults(func=_evaluate)
    replay = subparsers.add_parser("replay", help="walk forward over stored prices as if live; score; log to MLflow")
    replay.add_argument("--tickers", default="", help="comma-separated, or 'all' (default: held tickers)")
    replay.add_argument("--model", default="ensemble", help="catalog model (default: ensemble)")
    replay.add_argument("--members", default="", help="the ensemble's members (default: the champion's)")
    replay.add_argument("--horizon", type=int, default=5, help="trading days forecast from each origin")
    replay.add_argument("--months", type=int, default=13, help="calendar months of weekly origins")
    replay.add_argument("--refit-months", type=int, default=3, help="refit every N calendar months")
    replay.add_argument("--no-progress", action="store_true")
    replay.set_defaults(func=_replay)


def _train(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        params = json.loads(args.params)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"--params is not valid JSON: {exc}") from exc
    for ticker in [t.strip().upper() for t in args.ticker.split(",") if t.strip()]:
        with session_scope(settings) as session:
            _prices, closes = load_closes(session, ticker)
        outcome = train_model(
            settings,
            ticker=ticker,
            model=args.model,
            series=closes,
            params=params,
            horizon=args.horizon,
            folds=args.folds,
            n_jobs=args.workers,
        )
        champion = "" if outcome.champion_mase is None else f", champion MASE {outcome.champion_mase:.4f}"
        print(
            f"{outcome.registered_model} v{outcome.version}: backtest MASE {outcome.challenger_mase:.4f}"
            f"{champion} ({outcome.backtest_seconds:.1f} s backtest, {outcome.fit_seconds:.1f} s fit)"
        )
        print(f"  decision: {outcome.decision}")
        print(f"  run: {outcome.run_url}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    settings = get_settings()
    with session_scope(settings) as session:
        filled = update_realised(session)
        table = realised_accuracy(session, days=args.days)
        by_date = realised_by_date(session, replayed=False)
    print(f"filled {filled} matured prediction(s)")
    print(
        table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        if not table.empty
        else "no matured predictions yet"
    )
    try:
        report = log_realised_accuracy(settings, by_date)
    except ServiceUnavailableError as exc:
        print(f"warning: {exc.message}; realised accuracy not logged to MLflow", file=sys.stderr)
        return 1
    print(
        f"logged {report.metrics_logged} metric point(s) over {report.dates_logged} date(s) "
        f"to MLflow run {report.run_id} (through {report.logged_through})"
    )
    return 0


def _replay(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    settings = get_settings()
    config = ReplayConfig(
        model=args.model,
        members=tuple(m.strip() for m in args.members.split(",") if m.strip()),
        horizon=args.horizon,
        months=args.months,
        refit_months=args.refit_months,
    )
    with session_scope(settings) as session:
        tickers = replay_ticker_list(session, args.tickers)
    with tqdm(total=len(tickers), unit="ticker", disable=args.no_progress, file=sys.stderr) as bar:

        def progress(ticker: str, done: int, total: int) -> None:
            bar.set_postfix_str(f"{ticker} {done}/{total} origins")
            if done == total:
                bar.update(1)

        # Short units: the fits run outside transactions, so the API keeps writing meanwhile.
        units = ShortUnits(settings)
        result = replay_and_log(units, settings=settings, tickers=tickers, config=config, progress=progress)
    with session_scope(settings, write=False) as session:
        table = realised_by_month(session, replayed=True, versions=config.versions)
    print(
        f"replay {result['version']}: {result['rows_added']} forecast rows added, {result['predictions_scored']} scored"
    )
    for ticker, error in result["errors"].items():
        print(f"  {ticker}: {error}", file=sys.stderr)
    if not table.empty:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    monitoring = result.get("monitoring") or {}
    if "monitoring_error" in monitoring:
        print(f"warning: {monitoring['monitoring_error']}; not logged to MLflow", file=sys.stderr)
        return 1
    if monitoring:
        print(f"MLflow monitoring run: {monitoring['run_url']}")
    return 1 if result["errors"] else 0
