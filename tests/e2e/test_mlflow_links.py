"""The dashboard's MLflow links land on the experiment's runs, in a real MLflow UI, in Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.dashboard import CHROMIUM, browser_page, free_port, log_in, open_page, running_dashboard

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]
RUN_NAME = "e2e monitoring run"


def start_mlflow(settings, port: int, log: Path) -> subprocess.Popen:
    command = [
        *(sys.executable, "-m", "mlflow", "server", "--workers", "1", "--host", "127.0.0.1"),
        *("--port", str(port), "--backend-store-uri", settings.mlflow_tracking_uri),
        *("--default-artifact-root", str(settings.mlflow_artifact_root)),
    ]
    env = os.environ | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}
    with open(log, "w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise TimeoutError(f"mlflow server did not start:\n{log.read_text()[-3000:]}")


@pytest.mark.timeout(600)
def test_the_monitoring_link_opens_the_experiments_runs():
    from core.tracking.runs import tracked_run
    from core.tracking.store import MONITORING

    mlflow_port = free_port()
    with running_dashboard({"MLFLOW_UI_URL": f"http://127.0.0.1:{mlflow_port}"}) as dashboard:
        settings = dashboard.settings
        with tracked_run(settings, MONITORING, run_name=RUN_NAME, tags={"purpose": "monitoring"}):
            pass
        server = start_mlflow(settings, mlflow_port, dashboard.log.with_name("mlflow.log"))
        try:
            with browser_page() as page:
                log_in(page, dashboard)
                open_page(page, "Backtests", "button:has-text('Run backtest')")
                link = page.get_by_role("link", name="Monitoring experiment in MLflow")
                href = link.get_attribute("href")
                assert href.startswith(f"http://127.0.0.1:{mlflow_port}/#/experiments/") and href.endswith("/runs")
                page.goto(href)
                # The classic runs table, with the experiment's run in it (not an empty traces page).
                page.get_by_text(RUN_NAME).first.wait_for(timeout=60_000)
                assert "/runs" in page.url
        finally:
            server.terminate()
            server.wait(timeout=15)
