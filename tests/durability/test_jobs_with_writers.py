"""Long jobs in short transactions: four clients writing through the API on one SQLite file
while refresh, retrain and replay run in processes of their own. Every answered write is
stored, and every job succeeds (none is killed by "database is locked")."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.durability.job_servers import job_environment, job_settings
from tests.durability.servers import Client, load_prices, running_api

pytestmark = pytest.mark.slow

WRITERS = 4
WRITES_AT_LEAST = 100  # each; they go on until the jobs are done
JOBS = {
    "refresh_prices": ["--arg", "tickers=AAPL,MSFT"],
    "retrain": ["--arg", "tickers=AAPL,MSFT", "--arg", "models=naive,drift", "--arg", "workers=1"],
    "replay": ["--arg", "tickers=AAPL,MSFT", "--arg", "members=naive,drift", "--arg", "months=4",
               "--arg", "refit_months=2"],
}  # fmt: skip


def test_four_writers_and_refresh_retrain_replay_on_one_sqlite_file(tmp_path: Path):
    settings = job_settings(tmp_path)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    with running_api(settings.database_url, tmp_path) as server:
        load_prices(settings.database_url, tmp_path, "AAPL", "MSFT")
        clients = [Client(server.url) for _ in range(WRITERS)]
        env = {**job_environment(settings), "REDIS_URL": ""}  # in-process jobs, as on one machine
        jobs = {
            name: subprocess.Popen(
                [sys.executable, "-m", "core", "jobs", "run", name, *args],
                cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for name, args in JOBS.items()
        }  # fmt: skip

        def write(client: Client) -> tuple[list[int], list[int]]:
            statuses, ids = [], []
            while len(statuses) < WRITES_AT_LEAST or any(job.poll() is None for job in jobs.values()):
                answer = client.http.post(
                    "/api/portfolio/transactions",
                    json={"date": "2016-06-01", "ticker": "MSFT", "type": "buy", "quantity": 1, "price": 50},
                )
                statuses.append(answer.status_code)
                if answer.status_code == 201:
                    ids.append(answer.json()["id"])
            return statuses, ids

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            outcomes = list(pool.map(write, clients))
        outputs = {name: job.communicate(timeout=300)[0] for name, job in jobs.items()}
        seconds = time.monotonic() - started
        stored = [
            client.http.get("/api/portfolio/transactions", params={"limit": 1}).json()["total"] for client in clients
        ]
    answered = [len(statuses) for statuses, _ids in outcomes]
    refused = [code for statuses, _ids in outcomes for code in statuses if code != 201]
    print(f"\n{sum(answered)} writes in {seconds:.1f} s beside the jobs; stored {sum(stored)}; refused {len(refused)}")
    for name, job in jobs.items():
        assert job.returncode == 0, f"{name} failed:\n{outputs[name][-3000:]}"
        assert "succeeded" in outputs[name], outputs[name][-3000:]
    assert refused == []
    assert stored == [len(ids) for _statuses, ids in outcomes]
    assert all(count >= WRITES_AT_LEAST for count in answered)
