"""`python -m core train` and `python -m core evaluate-realised`.

train: for each ticker, backtest the model, log the runs, register a version of
`<TICKER>-<model>` and move the `champion` alias if it wins; prints the decision.
evaluate-realised: fill realised values of matured predictions, print trailing realised
accuracy, and log it by date into the MLflow monitoring run.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.config import get_settings
from core.errors import InvalidInputError, ServiceUnavailableError


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


def _train(args: argparse.Namespace) -> int:
    from core.db.session import session_scope
    from core.forecasting.serving import load_closes
    from core.tracking.training import train_model

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
    from core.db.session import session_scope
    from core.forecasting.accuracy import realised_accuracy, realised_by_date, update_realised
    from core.tracking.monitoring import log_realised_accuracy

    settings = get_settings()
    with session_scope(settings) as session:
        filled = update_realised(session)
        table = realised_accuracy(session, days=args.days)
        by_date = realised_by_date(session)
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
