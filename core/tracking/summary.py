"""Read-side views of the store for the UI and the API: latest backtest skill per model."""

from __future__ import annotations

from core.config import Settings, get_settings
from core.tracking.schemas import BacktestSkill
from core.tracking.store import BACKTESTS, experiment_id, get_client, store_errors


def _skill(settings: Settings, run, experiment: str) -> BacktestSkill:
    metrics = dict(run.data.metrics)
    params, tags = run.data.params, run.data.tags

    def number(key: str) -> float | None:
        return float(metrics[key]) if key in metrics else None

    return BacktestSkill(
        ticker=tags.get("ticker", ""),
        model=tags.get("model", ""),
        mase=number("mase"),
        skill_vs_naive=number("skill_vs_naive"),
        coverage_80=number("coverage_80"),
        coverage_95=number("coverage_95"),
        horizon=int(params["horizon"]) if "horizon" in params else None,
        folds=int(params["folds"]) if "folds" in params else None,
        data_end=tags.get("data_end"),
        run_id=run.info.run_id,
        run_url=f"{settings.mlflow_ui_url.rstrip('/')}/#/experiments/{experiment}/runs/{run.info.run_id}",
        metrics={k: v for k, v in metrics.items() if "/" not in k},
    )


def backtest_skill(settings: Settings, run_id: str) -> BacktestSkill:
    """The headline skill of one backtest run."""
    with store_errors(settings, f"reading run {run_id}"):
        run = get_client(settings).get_run(run_id)
    return _skill(settings, run, run.info.experiment_id)


def latest_backtest_summary(
    ticker: str, *, settings: Settings | None = None, model: str | None = None
) -> list[BacktestSkill]:
    """The newest finished backtest of each model on `ticker` (newest first per model)."""
    settings = settings or get_settings()
    experiment = experiment_id(settings, BACKTESTS)
    query = f"tags.ticker = '{ticker.upper()}' and attributes.status = 'FINISHED'"
    if model:
        query += f" and tags.model = '{model}'"
    with store_errors(settings, f"searching backtests of {ticker}"):
        runs = get_client(settings).search_runs(
            [experiment], query, order_by=["attributes.start_time DESC"], max_results=200
        )
    latest: dict[str, BacktestSkill] = {}
    for run in runs:
        name = run.data.tags.get("model", "")
        if name not in latest:
            latest[name] = _skill(settings, run, experiment)
    return list(latest.values())
