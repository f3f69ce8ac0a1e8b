"""Failures: a failed run is marked FAILED, concurrent trainings keep the store whole, and an
unreachable or unwritable store gives a clear ServiceUnavailableError (the app carries on)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from mlflow import MlflowClient

from core.config import Settings
from core.errors import ServiceUnavailableError
from core.forecasting.training import train_model
from core.tracking.registry import CHAMPION
from core.tracking.runs import tracked_run
from core.tracking.store import BACKTESTS, TRAINING, experiment_id, get_client
from tests.tracking.fixtures import closes_of


def test_a_run_that_raises_is_marked_failed_with_its_error(mlflow_settings):
    with (
        pytest.raises(ValueError, match="boom"),
        tracked_run(mlflow_settings, BACKTESTS, run_name="doomed", tags={"ticker": "AAPL", "model": "naive"}) as run_id,
    ):
        raise ValueError("boom")
    run = get_client(mlflow_settings).get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["error"] == "ValueError: boom"


def test_two_tickers_trained_at_once_do_not_corrupt_the_store(tmp_path, test_prices):
    # A brand-new store: both threads race to migrate it and to create the experiments.
    settings = Settings(
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=tmp_path / "artifacts",
        migrate_on_start=False,
    )
    outcomes, errors = {}, []

    def train(ticker: str) -> None:
        try:
            closes = closes_of(test_prices, ticker)
            outcomes[ticker] = train_model(
                settings, ticker=ticker, model="naive", series=closes, horizon=5, folds=3, n_jobs=1
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=train, args=(ticker,)) for ticker in ("AAPL", "MSFT")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    client = MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri)
    for ticker in ("AAPL", "MSFT"):
        champion = client.get_model_version_by_alias(f"{ticker}-naive", CHAMPION)
        assert str(champion.version) == outcomes[ticker].version == "1"
        assert champion.tags["ticker"] == ticker
    for experiment in (BACKTESTS, TRAINING):
        runs = client.search_runs([experiment_id(settings, experiment)])
        assert sorted(r.data.tags["ticker"] for r in runs) == ["AAPL", "MSFT"]
        assert {r.info.status for r in runs} == {"FINISHED"}
    assert len(client.search_experiments(filter_string=f"name = '{BACKTESTS}'")) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_tracking_server_is_reported_quickly(test_prices):
    settings = Settings(mlflow_tracking_uri=f"http://127.0.0.1:{_closed_port()}", migrate_on_start=False)
    started = time.perf_counter()
    with pytest.raises(ServiceUnavailableError, match=r"MLflow store http://127\.0\.0\.1"):
        train_model(settings, ticker="AAPL", model="naive", series=closes_of(test_prices, "AAPL"), folds=3, n_jobs=1)
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("broken", ["database", "artifacts"])
def test_an_unwritable_store_is_reported(tmp_path, broken):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    good = tmp_path / "ok"
    settings = Settings(
        mlflow_tracking_uri=f"sqlite:///{(blocker if broken == 'database' else good) / 'mlflow.db'}",
        mlflow_artifact_root=(blocker if broken == "artifacts" else good) / "artifacts",
        migrate_on_start=False,
    )
    with pytest.raises(ServiceUnavailableError, match="unavailable while opening the store"):
        get_client(settings)
