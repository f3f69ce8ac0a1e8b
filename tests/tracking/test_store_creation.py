"""Several processes opening a new MLflow store at once (the API, the scheduler, workers after
a deploy): the store is created and migrated once, whole, and every process can use it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from core.config import REPO_ROOT

PROCESSES = 4
OPEN_STORE = """
import sys, time
from pathlib import Path
from core.config import Settings
from core.tracking.store import get_client
directory, go = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
uri = f"sqlite:///{directory / 'mlflow.db'}"
settings = Settings(mlflow_tracking_uri=uri, mlflow_artifact_root=directory / "artifacts", data_dir=directory)
print(len(get_client(settings).search_experiments()))
"""


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path: Path):
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_STORE, str(tmp_path), str(go)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    time.sleep(3)  # let every process import MLflow, so they reach the store together
    go.touch()
    outcomes = [process.communicate(timeout=180) for process in processes]
    failures = [err[-1500:] for process, (_out, err) in zip(processes, outcomes, strict=True) if process.returncode]
    assert failures == []
