"""Train → backtest → log → register → champion decision, against a real MLflow store."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from core.forecasting.training import train_model
from core.tracking.registry import CHAMPION, decide_promotion, load_champion
from core.tracking.store import BACKTESTS, TRAINING, experiment_id
from core.tracking.summary import latest_backtest_summary
from tests.tracking.fixtures import closes_of

LIGHT = {"horizon": 5, "folds": 3, "n_jobs": 1}


def client_for(settings) -> MlflowClient:
    return MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri)


def test_first_training_logs_both_runs_registers_and_becomes_champion(mlflow_settings, test_prices):
    closes = closes_of(test_prices, "AAPL")
    outcome = train_model(mlflow_settings, ticker="AAPL", model="naive", series=closes, **LIGHT)
    client = client_for(mlflow_settings)

    assert outcome.registered_model == "AAPL-naive" and outcome.promoted
    assert outcome.decision == "promoted: no champion yet"
    champion = client.get_model_version_by_alias("AAPL-naive", CHAMPION)
    assert str(champion.version) == outcome.version
    assert float(champion.tags["backtest_mase"]) == pytest.approx(outcome.challenger_mase)
    assert champion.tags["decision"] == outcome.decision and champion.tags["data_end"] == "2016-12-30"

    backtest = client.get_run(outcome.backtest_run_id)
    assert backtest.info.experiment_id == experiment_id(mlflow_settings, BACKTESTS)
    assert backtest.info.status == "FINISHED"
    tags = backtest.data.tags
    assert (tags["ticker"], tags["model"], tags["n_prices"]) == ("AAPL", "naive", str(len(closes)))
    assert tags["data_start"] == str(closes.index[0].date()) and len(tags["data_hash"]) == 16
    assert backtest.data.params["folds"] == "3" and backtest.data.params["horizon"] == "5"
    assert backtest.data.params["sigma_window"] == "500"
    for metric in ("mase", "mae", "rmse", "coverage_80", "coverage_95", "skill_vs_naive", "directional_accuracy"):
        assert metric in backtest.data.metrics
    per_fold = client.get_metric_history(outcome.backtest_run_id, "fold/mase")
    assert sorted(m.step for m in per_fold) == [0, 1, 2]
    per_step = client.get_metric_history(outcome.backtest_run_id, "horizon/mae")
    assert sorted(m.step for m in per_step) == [1, 2, 3, 4, 5]
    artifacts = {a.path for a in client.list_artifacts(outcome.backtest_run_id)}
    assert {"folds.csv", "forecasts.csv", "forecast.png"} <= artifacts
    folds = pd.read_csv(
        mlflow.artifacts.download_artifacts(
            run_id=outcome.backtest_run_id, artifact_path="folds.csv", tracking_uri=mlflow_settings.mlflow_tracking_uri
        )
    )
    assert list(folds["fold"]) == [0, 1, 2] and "mase" in folds.columns

    training = client.get_run(outcome.training_run_id)
    assert training.info.experiment_id == experiment_id(mlflow_settings, TRAINING)
    assert training.data.tags["backtest_run_id"] == outcome.backtest_run_id
    assert training.data.tags["data_hash"] == tags["data_hash"]


def test_pyfunc_takes_a_horizon_frame_and_returns_the_forecast_frame(mlflow_settings, test_prices):
    closes = closes_of(test_prices, "MSFT")
    train_model(mlflow_settings, ticker="MSFT", model="drift", series=closes, **LIGHT)
    loaded = mlflow.pyfunc.load_model("models:/MSFT-drift@champion")
    assert loaded.metadata.get_input_schema().input_names() == ["horizon"]
    assert loaded.metadata.get_output_schema().input_names() == ["date", "mean", "lo80", "hi80", "lo95", "hi95"]
    frame = loaded.predict(pd.DataFrame({"horizon": [7]}))
    assert list(frame.columns) == ["date", "mean", "lo80", "hi80", "lo95", "hi95"] and len(frame) == 7
    assert frame["date"].iloc[0] == pd.Timestamp("2017-01-03")  # next NYSE session after 2016-12-30
    assert (frame["lo95"] <= frame["lo80"]).all() and (frame["hi80"] <= frame["hi95"]).all()
    champion = load_champion(mlflow_settings, ticker="MSFT", model="drift")
    assert champion is not None and champion.forecaster.predict(7)["mean"].tolist() == pytest.approx(
        champion.forecaster.predict(7)["mean"].tolist()
    )


def test_alias_moves_only_when_the_challenger_beats_the_champion_on_the_same_folds(mlflow_settings, test_prices):
    closes = closes_of(test_prices, "AAPL")
    as_drift = {"members": ["naive", "drift"], "weights": {"naive": 0.0, "drift": 1.0}}
    as_naive = {"members": ["naive", "drift"], "weights": {"naive": 1.0, "drift": 0.0}}
    first = train_model(mlflow_settings, ticker="AAPL", model="ensemble", series=closes, params=as_drift, **LIGHT)
    second = train_model(mlflow_settings, ticker="AAPL", model="ensemble", series=closes, params=as_naive, **LIGHT)
    assert first.promoted
    assert second.champion_mase == pytest.approx(first.challenger_mase)  # champion re-scored on the same folds
    assert second.promoted == (second.challenger_mase < first.challenger_mase)
    winner = second if second.promoted else first
    client = client_for(mlflow_settings)
    assert str(client.get_model_version_by_alias("AAPL-ensemble", CHAMPION).version) == winner.version
    tags = client.get_model_version("AAPL-ensemble", second.version).tags
    assert float(tags["challenger_mase"]) == pytest.approx(second.challenger_mase)
    assert float(tags["champion_mase"]) == pytest.approx(first.challenger_mase)
    assert tags["decision"] == second.decision and tags["previous_champion"] == first.version

    # The same parameters as the champion score the same: a tie keeps the champion.
    again = train_model(
        mlflow_settings,
        ticker="AAPL",
        model="ensemble",
        series=closes,
        params=as_naive if second.promoted else as_drift,
        **LIGHT,
    )
    assert not again.promoted and again.decision.startswith(f"kept champion v{winner.version}")
    assert str(client.get_model_version_by_alias("AAPL-ensemble", CHAMPION).version) == winner.version


def test_decide_promotion_rules():
    assert decide_promotion(0.9, None, None) == (True, "promoted: no champion yet")
    assert decide_promotion(0.9, 1.0, "3")[0] is True
    assert decide_promotion(1.0, 1.0, "3")[0] is False
    assert decide_promotion(1.0 - 1e-14, 1.0, "3")[0] is False  # float noise is a tie
    assert decide_promotion(1.1, 1.0, "3") == (False, "kept champion v3: challenger MASE 1.1000 >= 1.0000")
    assert decide_promotion(float("nan"), 1.0, "3")[0] is False


def test_latest_backtest_summary_reports_the_newest_run_per_model(mlflow_settings, test_prices):
    outcome = train_model(mlflow_settings, ticker="AAPL", model="drift", series=closes_of(test_prices, "AAPL"), **LIGHT)
    skills = {s.model: s for s in latest_backtest_summary("AAPL", settings=mlflow_settings)}
    assert skills["drift"].run_id == outcome.backtest_run_id
    assert skills["drift"].mase == pytest.approx(outcome.challenger_mase)
    assert skills["drift"].folds == 3 and skills["drift"].horizon == 5
    assert skills["drift"].run_url.startswith(mlflow_settings.mlflow_ui_url)
