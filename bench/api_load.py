"""Benchmark: the API's read endpoints under concurrent load, on SQLite and on PostgreSQL.

For each backend: a fresh database (a temporary SQLite file; PostgreSQL database
`stockcast_bench` on 127.0.0.1, created and dropped here) is migrated and seeded with the demo
(bundled prices, demo portfolio); the API runs as a real `python main.py` process (uvicorn,
JSON logging, every middleware on; rate limits off, since this is one client hammering) on a
loopback port; an httpx/asyncio client with CONCURRENCY connections sends REQUESTS requests
per endpoint (after a warm-up) and prints requests/s and p50/p99 latency. Client and server
share the machine's cores, so the figures are a floor, not the server's ceiling.

    .venv/bin/python bench/api_load.py [--requests 400] [--concurrency 16] [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from core.config import Settings  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1/postgres")
PG_DATABASE = "stockcast_bench"
TIME_LIMIT_SECONDS = 30.0  # per endpoint, whatever --requests says
# Read endpoints, benchmarked when the running app has them (`{ticker}` is a demo ticker).
CANDIDATES = [
    "/ping",
    "/health",
    "/api/auth/me",
    "/api/portfolio",
    "/api/tickers",
    "/api/prices/{ticker}",
    "/api/portfolio/summary",
    "/api/portfolio/transactions",
    "/api/watchlist",
    "/api/jobs",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_database():
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


@contextmanager
def sqlite_database(workdir: Path):
    yield f"sqlite:///{workdir / 'bench.db'}"


def seed(settings: Settings) -> None:
    from core.db.migrate import upgrade_to_head
    from core.db.session import session_scope
    from core.demo import seed_demo

    upgrade_to_head(settings.database_url)
    with session_scope(settings) as session:
        seed_demo(session, settings=settings)


@contextmanager
def api_server(env: dict[str, str], port: int):
    process = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=REPO,
        env={**os.environ, **env, "API_HOST": "127.0.0.1", "API_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the API did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


async def drive(client: httpx.AsyncClient, path: str, requests: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    remaining = requests
    deadline = time.monotonic() + TIME_LIMIT_SECONDS

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0 and time.monotonic() < deadline:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code >= 400

    for _ in range(min(20, requests)):  # warm-up: connections, caches, first-query plans
        await client.get(path)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "n": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
    }


async def run_backend(base_url: str, settings: Settings, requests: int, concurrency: int) -> list[tuple]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        login = await client.post(
            "/api/auth/token",
            data={"username": settings.demo_user_email, "password": settings.resolved_demo_password()},
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        present = set((await client.get("/openapi.json")).json()["paths"]) | {"/ping", "/health"}
        tickers = (await client.get("/api/tickers")).json() if "/api/tickers" in present else []
        ticker = tickers[0]["symbol"] if tickers else "AAPL"
        rows = []
        for template in CANDIDATES:
            if template not in present:
                continue
            path = template.format(ticker=ticker)
            rows.append((path, await drive(client, path, requests, concurrency)))
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per endpoint (bounded by 30 s)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as tmp:
        workdir = Path(tmp)
        for backend in args.backends:
            database = postgres_database() if backend == "postgresql" else sqlite_database(workdir)
            try:
                database_context = database.__enter__()
            except Exception as exc:  # no PostgreSQL server here: say so and go on
                print(f"\n== {backend}: skipped ({type(exc).__name__}: {exc})")
                continue
            try:
                url = database_context
                env = {
                    "DATABASE_URL": url,
                    "DATA_DIR": str(workdir / f"data-{backend}"),
                    "JWT_SECRET": secrets.token_urlsafe(48),
                    "MIGRATE_ON_START": "false",
                    "RATE_LIMIT_ENABLED": "false",
                    "OFFLINE": "true",
                    "DATA_PROVIDER": "bundled",
                    "REDIS_URL": "",
                    "LOG_JSON": "true",
                    "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
                }
                settings = Settings(**{key.lower(): value for key, value in env.items()})
                started = time.perf_counter()
                seed(settings)
                print(
                    f"\n== {backend}: seeded the demo in {time.perf_counter() - started:.1f} s; "
                    f"{args.concurrency} connections, up to {args.requests} requests per endpoint"
                )
                with api_server(env, free_port()) as base_url:
                    rows = asyncio.run(run_backend(base_url, settings, args.requests, args.concurrency))
                print(f"{'endpoint':<36} {'n':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
                for path, stats in rows:
                    print(
                        f"{path:<36} {stats['n']:>5} {stats['rps']:>8.0f} {stats['p50']:>8.1f} "
                        f"{stats['p99']:>8.1f} {stats['errors']:>6}"
                    )
            finally:
                database.__exit__(None, None, None)


if __name__ == "__main__":
    main()
