"""The command-line contract: `python -m core backtest|forecast` on a small CSV."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.cli import main

CONTRACT_KEYS = {
    "ticker",
    "model",
    "horizon",
    "folds",
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "directional_accuracy",
    "coverage_80",
    "coverage_95",
    "width_80",
    "width_95",
    "winkler_80",
    "winkler_95",
    "pinball",
    "fit_seconds",
    "predict_seconds",
}
FORECAST_COLUMNS = ["ticker", "model", "origin", "date", "actual", "mean", "lo80", "hi80", "lo95", "hi95"]
REPO = Path(__file__).parents[2]


def test_backtest_command(prices_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, forecasts_out = tmp_path / "results.json", tmp_path / "forecasts.csv"
    code = main(
        [
            "backtest",
            "--prices",
            str(prices_csv),
            "--tickers",
            "AAPL,JPM",
            "--horizon",
            "3",
            "--folds",
            "4",
            "--models",
            "naive,drift",
            "--out",
            str(out),
            "--forecasts-out",
            str(forecasts_out),
            "--jobs",
            "1",
            "--no-progress",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "4 origins from " in printed and "every 87 sessions" in printed  # spread over a year
    for header in ("MASE", "DM p", "verdict", "cov 80", "cov 95", "width 80", "Winkler 80", "Winkler 95", "pinball"):
        assert header in printed
    assert [line.split()[0] for line in printed.splitlines()[3:5]] == ["naive", "drift"]
    payload = json.loads(out.read_text())
    # The pooled table printed above is in the file too, model by model, figure by figure.
    pooled = payload["pooled"]
    assert [r["model"] for r in pooled] == ["naive", "drift"]
    drift_line = next(line.split() for line in printed.splitlines() if line.startswith("drift"))
    assert f"{pooled[1]['mase']:.3f}" in drift_line
    assert pooled[1]["interval_p"] is None or 0 <= pooled[1]["interval_p"] <= 1
    # Dates are ISO days, as the API and MCP write them.
    for row in (*pooled, *payload["rows"]):
        for key in ("first_origin", "last_origin"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[key]), row[key]
    rows = payload["rows"]
    assert {(r["ticker"], r["model"]) for r in rows} == {(t, m) for t in ("AAPL", "JPM") for m in ("naive", "drift")}
    for row in rows:
        assert set(row) >= CONTRACT_KEYS
        assert row["horizon"] == 3 and row["folds"] == 4
        assert all(isinstance(row[k], (int, float)) for k in CONTRACT_KEYS - {"ticker", "model"})
        assert row["verdict"] in ("beats naive", "no better than naive", "worse than naive")
    forecasts = pd.read_csv(forecasts_out)
    assert list(forecasts.columns) == FORECAST_COLUMNS
    assert len(forecasts) == 2 * 2 * 4 * 3
    assert (forecasts["date"] > forecasts["origin"]).all()


def test_forecast_command(prices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    assert (
        main(
            [
                "forecast",
                "--prices",
                str(prices_csv),
                "--ticker",
                "JPM",
                "--horizon",
                "4",
                "--model",
                "drift",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["date", "mean", "lo80", "hi80", "lo95", "hi95"]
    assert frame["date"].tolist() == ["2017-01-03", "2017-01-04", "2017-01-05", "2017-01-06"]


def test_bad_requests_exit_with_an_error(prices_csv: Path, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "x.csv")
    assert main(["forecast", "--prices", str(prices_csv), "--ticker", "NOPE", "--out", out]) == 2
    assert main(["forecast", "--prices", str(prices_csv), "--ticker", "JPM", "--model", "oracle", "--out", out]) == 2
    assert "unknown model" in capsys.readouterr().err


@pytest.mark.slow
def test_six_model_backtest_in_a_subprocess(prices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "backtest",
            "--prices",
            str(prices_csv),
            "--tickers",
            "JPM",
            "--horizon",
            "5",
            "--folds",
            "2",
            "--step",
            "5",
            "--models",
            "naive,drift,arima,prophet,lstm,ensemble",
            "--out",
            str(out),
            "--jobs",
            "2",
            "--no-progress",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(out.read_text())["rows"]
    assert sorted(r["model"] for r in rows) == sorted(["naive", "drift", "arima", "prophet", "lstm", "ensemble"])
    assert all(r["folds"] == 2 and r["mase"] is not None for r in rows)
