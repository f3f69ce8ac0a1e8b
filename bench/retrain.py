"""Retraining the dev tickers: sequentially in one process vs fanned out over 2 Celery workers.

    .venv/bin/python bench/retrain.py                     # 10 tickers, naive,drift
    .venv/bin/python bench/retrain.py --tickers 12 --models naive,drift,arima --workers 2

Everything runs on a scratch copy: a temporary SQLite database loaded with the bundled prices,
its own MLflow store per phase (so both phases do the same work: a first version per model),
and a unique Celery queue on the local Redis (`--redis-url`, default database 14). Each phase
retrains every ticker (`force=true`) with one backtest process per task, so the difference is
the fan-out alone; each first warms up on spare tickers (imports, MLflow store). Prints wall
times and the speed-up. Both phases write one SQLite MLflow store, whose writes serialize: light
models gain least from more workers; a production fan-out points MLFLOW_TRACKING_URI at a server.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("LOG_JSON", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def phase_settings(base: Path, name: str, database_url: str, redis_url: str):
    from core.config import Settings

    return Settings(
        database_url=database_url,
        data_dir=base / "data",
        redis_url=redis_url,
        celery_queue=f"bench-{uuid.uuid4().hex[:8]}",
        offline=True,
        data_provider="bundled",
        mlflow_tracking_uri=f"sqlite:///{base / name / 'mlflow.db'}",
        mlflow_artifact_root=base / name / "artifacts",
        migrate_on_start=False,
        log_level="WARNING",
    )


def prepare_database(base: Path, count: int, spare: int) -> tuple[str, list[str], list[str]]:
    """A scratch database with `count` measured tickers and `spare` more for warming up."""
    from core.config import Settings
    from core.db.migrate import upgrade_to_head
    from core.db.session import session_scope
    from core.market.providers.bundled import BundledProvider
    from core.market.service import load_bundled_prices

    database_url = f"sqlite:///{base / 'bench.db'}"
    upgrade_to_head(database_url)
    settings = Settings(database_url=database_url, data_dir=base / "data", offline=True)
    every = sorted(BundledProvider(settings=settings).prices_by_ticker())
    tickers, warmup = every[:count], every[::-1][:spare]
    if set(tickers) & set(warmup):
        raise SystemExit(f"at most {len(every) - spare} tickers")
    with session_scope(settings) as session:
        load_bundled_prices(session, settings=settings, tickers=tickers + warmup)
    return database_url, tickers, warmup


def run_sequential(settings, tickers: list[str], models: str, warmup: list[str]) -> tuple[float, dict]:
    from core.jobs.runner import run_job

    # The first training pays for imports and the MLflow store: not part of the measure.
    run_job(
        "retrain",
        settings=settings,
        args={"tickers": warmup[:1], "models": models, "workers": 1},
        triggered_by="bench-warmup",
    )
    started = time.perf_counter()
    run = run_job(
        "retrain",
        settings=settings,
        args={"tickers": tickers, "models": models, "force": True, "workers": 1},
        triggered_by="bench",
    )
    return time.perf_counter() - started, (run.result or {}).get("errors") or {}


def start_workers(settings, count: int, log_dir: Path) -> list[subprocess.Popen]:
    env = os.environ | {
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "REDIS_URL": settings.redis_url,
        "CELERY_QUEUE": settings.celery_queue,
        "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        "MLFLOW_ARTIFACT_ROOT": str(settings.mlflow_artifact_root),
        "MIGRATE_ON_START": "false",
        "OFFLINE": "true",
    }
    workers = []
    for index in range(count):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "core.jobs.celery_app",
            "worker",
            "--pool",
            "solo",
            "--queues",
            settings.celery_queue,
            "--hostname",
            f"bench{index}-{uuid.uuid4().hex[:6]}@localhost",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ]
        log = open(log_dir / f"worker{index}.log", "w")  # noqa: SIM115 - closed with the process
        workers.append(subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def wait_for_workers(app, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return
    raise SystemExit(f"the {count} workers did not answer within {timeout:.0f}s")


def warm_up(settings, models: str, warmup: list[str]) -> None:
    """Each worker's first training pays for imports and the MLflow store: not the fan-out's
    cost. One warm-up ticker per task, more tasks than workers, so every worker gets one."""
    from core.jobs.celery_app import fan_out_retrain

    fan_out_retrain(settings=settings, tickers=warmup, models=models, triggered_by="bench-warmup").join(
        timeout=600, propagate=False
    )


def prepare_mlflow(settings) -> None:
    """Create the phase's MLflow store here: two workers creating one SQLite store at once race
    in MLflow's own migrations (tracking and registry) and can leave it broken."""
    from core.tracking.store import get_client

    get_client(settings).search_registered_models(max_results=1)


def run_celery(
    settings, tickers: list[str], models: str, count: int, log_dir: Path, warmup: list[str]
) -> tuple[float, dict]:
    from core.jobs.celery_app import app_for, fan_out_retrain

    app = app_for(settings)
    prepare_mlflow(settings)
    workers = start_workers(settings, count, log_dir)
    try:
        wait_for_workers(app, count)
        warm_up(settings, models, warmup)
        started = time.perf_counter()
        group = fan_out_retrain(settings=settings, tickers=tickers, models=models, force=True, triggered_by="bench")
        outcomes = group.join(timeout=3600, propagate=False)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        app.control.purge()
    errors = {t: repr(o) for t, o in zip(tickers, outcomes, strict=True) if not isinstance(o, dict)}
    return elapsed, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickers", type=int, default=10, help="how many dev tickers (alphabetical; max 30)")
    parser.add_argument("--models", default="naive,drift")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))
    args = parser.parse_args()

    from core.logs import configure_logging

    configure_logging(level="WARNING", json_lines=False)
    logging.getLogger("mlflow").setLevel(logging.ERROR)  # "Created version …" per model
    with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as tmp:
        base = Path(tmp)
        database_url, tickers, warmup = prepare_database(base, args.tickers, spare=2 * args.workers)
        print(f"retraining {len(tickers)} tickers x models [{args.models}] (backtest 8 folds, register, champion)")
        seq_settings = phase_settings(base, "seq", database_url, "")
        prepare_mlflow(seq_settings)
        sequential, seq_errors = run_sequential(seq_settings, tickers, args.models, warmup)
        print(f"sequential, 1 process:   {sequential:7.1f} s  ({sequential / len(tickers):.2f} s/ticker)")
        celery_settings = phase_settings(base, "celery", database_url, args.redis_url)
        fanned, celery_errors = run_celery(celery_settings, tickers, args.models, args.workers, base, warmup)
        print(f"celery, {args.workers} workers:       {fanned:7.1f} s  ({fanned / len(tickers):.2f} s/ticker)")
        print(f"speed-up:                {sequential / fanned:7.2f}x  (cores: {os.cpu_count()})")
        for label, errors in (("sequential", seq_errors), ("celery", celery_errors)):
            for ticker, error in errors.items():
                print(f"  {label} failure {ticker}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
