"""Benchmark: the API under concurrent load on loopback, on SQLite and on PostgreSQL.

For each backend: a fresh database (a temporary SQLite file; PostgreSQL database
`stockcast_bench` on 127.0.0.1, created and dropped here) is migrated and seeded with the demo
(bundled prices, demo portfolio); the API runs as a real `python main.py` process (uvicorn with
its default worker processes, JSON logging, every middleware on; rate limits off, since this is
one client hammering) on a loopback port.

1. Each read endpoint is driven by wrk (`make bench` installs Debian's package; without wrk an
   httpx/asyncio client stands in) with CONCURRENCY connections for DURATION seconds: requests/s,
   p50 and p99 latency, non-2xx answers. Targets (issue 22, at 50 connections):
   `GET /api/portfolio` p99 ≤ 100 ms, `/api/portfolio/summary` p99 ≤ 200 ms. Beside them, the
   server's CPU per request (all its processes, from /proc): what the request costs, which
   other work on the machine does not inflate the way it inflates latency.
2. `/health` is polled every 50 ms while a 100,000-row CSV import and a 200-day portfolio
   projection run: its worst latency (target ≤ 250 ms) shows whether heavy work leaves the
   event loop free. This runs on an API of one worker process (`API_WORKERS=1`), so the two
   requests and the probe always share a process (with two, where each lands is chance), once
   with the heavy use cases in the serving process's threads (`WORK_PROCESSES=0`, as before
   core.db.work_processes) and once in its work processes (the default, 2).

Client and server share the machine's cores, so the figures are a floor, not the server's ceiling.

    .venv/bin/python bench/api_load.py [--duration 10] [--concurrency 50] [--backends sqlite postgresql]
        [--import-rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import pandas as pd  # noqa: E402
from portfolio_ledger import ledger_csv  # noqa: E402  (bench/ is on the path: the same ledger generator)

from core.config import Settings  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1/postgres")
PG_DATABASE = "stockcast_bench"
IMPORT_PATH = "/api/portfolio/transactions/import"
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


@contextmanager
def bench_database(backend: str, workdir: Path):
    """A fresh database of `backend` for one bench run, or None (said) with no PostgreSQL server."""
    database = postgres_database() if backend == "postgresql" else sqlite_database(workdir)
    try:
        url = database.__enter__()
    except Exception as exc:  # no PostgreSQL server here: say so and go on
        print(f"\n== {backend}: skipped ({type(exc).__name__}: {exc})")
        yield None
        return
    try:
        yield url
    finally:
        database.__exit__(None, None, None)


def server_env(url: str, workdir: Path, backend: str) -> dict[str, str]:
    """The API's environment on `url`: offline on the bundled data, JSON logs, no Redis, and no
    rate limits (one client hammering)."""
    return {
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


def seed(settings: Settings) -> None:
    from core.db.migrate import upgrade_to_head
    from core.db.session import session_scope
    from core.demo import seed_demo

    upgrade_to_head(settings.database_url)
    with session_scope(settings) as session:
        seed_demo(session, settings=settings)


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of process `root` and its descendants (uvicorn's workers),
    from /proc; 0 where there is no /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid], used[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, grew = {root}, True
    while grew:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        grew, tree = grown != tree, grown
    return sum(used.get(pid, 0) for pid in tree) / ticks


def settle(server: int, quiet: float = 0.05, longest: float = 90) -> None:
    """Wait until the server's processes are done starting (its work processes import the model
    libraries after it answers): under `quiet` of a core for a second, or `longest` seconds."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = tree_cpu_seconds(server)
        time.sleep(1)
        if tree_cpu_seconds(server) - before < quiet:
            return


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
        settle(process.pid)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def wrk_drive(url: str, token: str, duration: int, concurrency: int) -> dict[str, float]:
    """wrk's figures for one endpoint: it keeps `concurrency` connections busy for `duration` s."""
    command = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{duration}s", "--latency", "--timeout", "10s"]
    command += ["-H", f"Authorization: Bearer {token}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def milliseconds(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    total = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "n": total,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": milliseconds("50%"),
        "p99": milliseconds("99%"),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0),
    }


async def httpx_drive(client: httpx.AsyncClient, path: str, duration: int, concurrency: int) -> dict[str, float]:
    """The stand-in when wrk is not installed: the same shape of figures from an asyncio client."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration

    async def worker() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code >= 400

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


async def log_in(client: httpx.AsyncClient, settings: Settings) -> str:
    login = await client.post(
        "/api/auth/token",
        data={"username": settings.demo_user_email, "password": settings.resolved_demo_password()},
    )
    login.raise_for_status()
    return login.json()["access_token"]


async def run_backend(base_url: str, server: int, settings: Settings, duration: int, concurrency: int) -> list[tuple]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        token = await log_in(client, settings)
        client.headers["Authorization"] = f"Bearer {token}"
        present = set((await client.get("/openapi.json")).json()["paths"]) | {"/ping", "/health"}
        tickers = (await client.get("/api/tickers")).json() if "/api/tickers" in present else []
        ticker = tickers[0]["symbol"] if tickers else "AAPL"
        rows = []
        for template in CANDIDATES:
            if template not in present:
                continue
            path = template.format(ticker=ticker)
            for _ in range(2):  # warm-up of every worker (concurrent requests spread over them): caches, plans
                await asyncio.gather(*(client.get(path) for _ in range(concurrency)))
            cpu_before = tree_cpu_seconds(server)
            if shutil.which("wrk"):
                stats = await asyncio.to_thread(wrk_drive, base_url + path, token, duration, concurrency)
            else:
                stats = await httpx_drive(client, path, duration, concurrency)
            # the server's own cost, which a busy machine's run queue does not inflate
            stats["cpu_ms"] = (tree_cpu_seconds(server) - cpu_before) * 1000 / max(stats["n"], 1)
            rows.append((path, stats))
        return rows


def health_under_load(base_url: str, settings: Settings, import_rows: int) -> dict[str, float]:
    """Worst `/health` latency while a big import and a projection run on the same API."""
    frame = pd.read_csv(REPO / "data" / "prices.csv.gz", parse_dates=["date"])
    closes = frame.pivot(index="date", columns="ticker", values="close").sort_index().dropna(axis=1)
    csv = ledger_csv(closes, import_rows).encode()
    token = asyncio.run(log_in(httpx.AsyncClient(base_url=base_url), settings))
    headers = {"Authorization": f"Bearer {token}"}
    took: dict[str, float] = {}

    def heavy(name: str, call) -> None:
        started = time.perf_counter()
        response = call()
        took[name] = time.perf_counter() - started
        took[f"{name} status"] = response.status_code

    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        work = [
            threading.Thread(
                target=heavy,
                args=("import", lambda: client.post(IMPORT_PATH, files={"file": ("ledger.csv", csv)})),
            ),
            threading.Thread(
                target=heavy,
                args=("projection", lambda: client.get("/api/portfolio/projection", params={"horizon": 200})),
            ),
        ]
        for thread in work:
            thread.start()
        worst = 0.0
        probes = 0
        with httpx.Client(base_url=base_url, timeout=30) as probe:
            while any(thread.is_alive() for thread in work):
                started = time.perf_counter()
                probe.get("/health")
                worst = max(worst, time.perf_counter() - started)
                probes += 1
                time.sleep(0.05)
        for thread in work:
            thread.join()
    return {"worst_ms": worst * 1000, "probes": probes, **took}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the import run beside /health")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as tmp:
        workdir = Path(tmp)
        for backend in args.backends:
            with bench_database(backend, workdir) as url:
                if url is None:
                    continue
                env = server_env(url, workdir, backend)
                settings = Settings(**{key.lower(): value for key, value in env.items()})
                started = time.perf_counter()
                seed(settings)
                print(
                    f"\n== {backend}: seeded the demo in {time.perf_counter() - started:.1f} s; "
                    f"{args.concurrency} connections, {args.duration} s per endpoint, "
                    f"load average {os.getloadavg()[0]:.1f} "
                    f"({'wrk' if shutil.which('wrk') else 'httpx: wrk not installed'})"
                )
                with api_server(env, free_port()) as (base_url, server):
                    rows = asyncio.run(run_backend(base_url, server, settings, args.duration, args.concurrency))
                loaded = {}
                for where, processes in (("in the serving process's threads", "0"), ("in its work processes", "2")):
                    one_worker = {**env, "API_WORKERS": "1", "WORK_PROCESSES": processes}
                    with api_server(one_worker, free_port()) as (base_url, _server):
                        loaded[where] = health_under_load(base_url, settings, args.import_rows)
                print(
                    f"{'endpoint':<36} {'n':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} "
                    f"{'errors':>6}"
                )
                for path, stats in rows:
                    print(
                        f"{path:<36} {stats['n']:>6} {stats['rps']:>8.0f} {stats['p50']:>8.1f} "
                        f"{stats['p99']:>8.1f} {stats['cpu_ms']:>10.2f} {stats['errors']:>6}"
                    )
                for where, heavy in loaded.items():
                    print(
                        f"/health worst {heavy['worst_ms']:.0f} ms over {heavy['probes']} probes while a "
                        f"{args.import_rows:,}-row import ({heavy['import']:.1f} s, {heavy['import status']}) and a "
                        f"200-day projection ({heavy['projection']:.1f} s, {heavy['projection status']}) ran "
                        f"{where} (one API worker)"
                    )


if __name__ == "__main__":
    main()
