"""A user task whose API process is killed (kill -9, two worker processes) is failed within
the lease once the API is back, never left "running"; a task started afterwards succeeds."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from core.auth.tokens import create_access_token
from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.session import session_scope
from tests.durability.servers import ApiServer, load_prices
from tests.factories import make_holding, make_user

pytestmark = pytest.mark.slow

TICKERS = ["AAPL", "MSFT", "KO", "JNJ", "PG", "XOM", "WMT", "JPM"]
LEASE_SECONDS = 4


def poll_until(server: ApiServer, location: str, headers: dict, done, *, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    body: dict = {}
    while time.monotonic() < deadline:
        try:
            body = httpx.get(f"{server.url}{location}", headers=headers, timeout=10).json()
        except httpx.HTTPError:
            body = {}
        if body and done(body):
            return body
        time.sleep(0.05)
    raise AssertionError(f"not seen in {seconds} s: {body}\n{server.log.read_text()[-2000:]}")


def test_a_task_whose_api_was_killed_is_failed_within_the_lease(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JOB_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("JOB_LEASE_SECONDS", str(LEASE_SECONDS))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    url = f"sqlite:///{tmp_path / 'stockcast.db'}"
    upgrade_to_head(url)
    load_prices(url, tmp_path, *TICKERS)
    settings = Settings(database_url=url, data_dir=tmp_path, jwt_secret=os.environ["JWT_SECRET"], _env_file=None)
    with session_scope(settings) as session:
        owner = make_user(session)
        for ticker in TICKERS:
            make_holding(session, owner=owner, ticker=ticker, quantity=10, avg_cost=50.0)
        headers = {"Authorization": f"Bearer {create_access_token(settings, user_id=owner.id, role='analyst')}"}

    server = ApiServer(database_url=url, data_dir=tmp_path, workers=2).start()
    try:
        params = {"horizon": 5, "model": "arima"}  # seconds per holding: time to kill it midway
        started = httpx.post(f"{server.url}/api/portfolio/projection/tasks", params=params, headers=headers)
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        working = lambda t: t["status"] == "running" and t["done"] >= 1  # noqa: E731
        midway = poll_until(server, location, headers, working, seconds=120)
        assert midway["done"] < len(TICKERS)
        server.kill()
        killed_at = time.monotonic()

        server.start()
        failed = poll_until(server, location, headers, lambda t: t["status"] != "running", seconds=60)
        assert failed["status"] == "failed" and failed["error"].startswith("abandoned")
        assert time.monotonic() - killed_at < LEASE_SECONDS + 30  # a lease, a beat, and a restart

        again = httpx.post(f"{server.url}/api/portfolio/projection/tasks", params={"horizon": 5}, headers=headers)
        finished = poll_until(server, again.headers["location"], headers, lambda t: t["finished_at"], seconds=180)
        assert finished["status"] == "succeeded" and finished["done"] == len(TICKERS)
    finally:
        server.stop()
