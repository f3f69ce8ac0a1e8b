"""A registered champion carries its code: it loads and predicts with no copy of this repository
on the path (a fresh interpreter in an empty folder), and `mlflow models serve` answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.forecasting.training import train_model
from tests.tracking.fixtures import closes_of

REPO = Path(__file__).resolve().parents[2]
# Run with `python -I` (no cwd, no PYTHONPATH, no user site) in an empty folder; then take off
# sys.path anything inside the repository (but the virtualenv's site-packages, when it lives
# there) and any editable-install finder, so that `models` and `core` can only come from the
# model's own artifacts.
LOAD_OUTSIDE_THE_REPO = """
import json, sys
repo = sys.argv[1]
sys.path[:] = [p for p in sys.path if p and (p.startswith(sys.prefix) or not p.startswith(repo))]
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
import mlflow, pandas as pd
loaded = mlflow.pyfunc.load_model(sys.argv[2])
frame = loaded.predict(pd.DataFrame({"horizon": [4]}))
import models
print(json.dumps({
    "models_file": models.__file__,
    "core_imported": any(name == "core" or name.startswith("core.") for name in sys.modules),
    "dates": [str(d.date()) for d in frame["date"]],
    "columns": list(frame.columns),
    "ordered": bool(((frame["lo95"] <= frame["lo80"]) & (frame["hi80"] <= frame["hi95"])).all()),
}))
"""


def _clean_env(settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["MLFLOW_TRACKING_URI"] = settings.mlflow_tracking_uri
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    # `mlflow models serve --env-manager local` starts `uvicorn` from PATH: this interpreter's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@pytest.fixture(scope="module")
def drift_champion(mlflow_settings, test_prices) -> str:
    closes = closes_of(test_prices, "AAPL")
    train_model(mlflow_settings, ticker="AAPL", model="drift", series=closes, horizon=5, folds=3, n_jobs=1)
    return "models:/AAPL-drift@champion"


@pytest.mark.slow
def test_a_champion_loads_and_predicts_outside_the_repository(mlflow_settings, drift_champion, tmp_path):
    run = subprocess.run(
        [sys.executable, "-I", "-c", LOAD_OUTSIDE_THE_REPO, str(REPO), drift_champion],
        cwd=tmp_path,
        env=_clean_env(mlflow_settings),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    # `models` came from the model's own code folder, and nothing of `core` was needed.
    assert not answer["models_file"].startswith(str(REPO))
    assert "/code/models/" in answer["models_file"]
    assert answer["core_imported"] is False
    assert answer["columns"] == ["date", "mean", "lo80", "hi80", "lo95", "hi95"] and answer["ordered"]
    assert answer["dates"] == ["2017-01-03", "2017-01-04", "2017-01-05", "2017-01-06"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_mlflow_models_serve_answers_a_prediction(mlflow_settings, drift_champion, tmp_path):
    port = _free_port()
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    command = [str(mlflow_cli), "models", "serve", "-m", drift_champion, "--env-manager", "local"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=_clean_env(mlflow_settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        answer = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/invocations",
                    json={"dataframe_split": {"columns": ["horizon"], "data": [[3]]}},
                    timeout=10,
                )
                break
            except httpx.TransportError:
                time.sleep(0.5)
        if answer is None:
            server.terminate()
            pytest.fail(f"mlflow models serve never answered: {server.communicate(timeout=30)[1].decode()[-3000:]}")
        assert answer.status_code == 200, answer.text
        rows = answer.json()["predictions"]
        assert len(rows) == 3 and set(rows[0]) == {"date", "mean", "lo80", "hi80", "lo95", "hi95"}
        assert rows[0]["lo95"] <= rows[0]["lo80"] <= rows[0]["mean"] <= rows[0]["hi80"] <= rows[0]["hi95"]
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
