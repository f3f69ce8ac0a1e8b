"""Benchmark: what a 2xx means, measured from outside against the real API (`python main.py`,
API_WORKERS processes) on SQLite and on PostgreSQL.

For each backend, on a fresh database with the bundled AAPL and MSFT prices:
- read-back: one client at full speed writes WRITES activities (a buy, then a sell that relies
  on it, in turn), reading each back by id the moment it is answered; prints stale reads
  (must be 0) and writes/s (each write replays the user's whole ledger, which grows);
- writers: WRITERS clients × WRITES_EACH writes at once; prints how many were answered 201,
  how many are stored (must be equal, and all), and the p50/p99 latency of a write;
- sells: 8 concurrent sells of a whole position; prints how many were accepted (must be 1).

    .venv/bin/python bench/durability.py [--writes 1000] [--writers 4] [--writes-each 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.durability.servers import Client, fresh_postgres_database, load_prices, running_api  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1/postgres")


def activity(kind: str, quantity: float, *, day: str, ticker: str = "AAPL") -> dict:
    return {"date": day, "ticker": ticker, "type": kind, "quantity": quantity, "price": 100}


def read_back(url: str, writes: int) -> None:
    client = Client(url)
    stale = refused = 0
    started = time.perf_counter()
    for index in range(writes):
        # A sell right after the buy it relies on: refused ("only 0 held") if the buy were not committed.
        body = activity("buy", 1, day="2016-06-01") if index % 2 == 0 else activity("sell", 1, day="2016-06-02")
        created = client.http.post("/api/portfolio/transactions", json=body)
        if created.status_code != 201:
            refused += 1
            continue
        read = client.http.get(f"/api/portfolio/transactions/{created.json()['id']}")
        stale += read.status_code != 200 or read.json() != created.json()
    seconds = time.perf_counter() - started
    print(f"  read-back: {writes} writes, {stale} stale reads, {refused} refused, {writes / seconds:.0f} writes/s")


def concurrent_writers(url: str, writers: int, writes_each: int) -> None:
    clients = [Client(url) for _ in range(writers)]

    def write(client: Client) -> list[tuple[int, float]]:
        answers = []
        for _ in range(writes_each):
            started = time.perf_counter()
            answer = client.http.post(
                "/api/portfolio/transactions", json=activity("buy", 1, day="2016-06-01", ticker="MSFT")
            )
            answers.append((answer.status_code, time.perf_counter() - started))
        return answers

    with ThreadPoolExecutor(max_workers=writers) as pool:
        results = [answer for answers in pool.map(write, clients) for answer in answers]
    accepted = sum(code == 201 for code, _ in results)
    stored = sum(c.http.get("/api/portfolio/transactions", params={"limit": 1}).json()["total"] for c in clients)
    latencies = sorted(seconds * 1000 for _, seconds in results)
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(
        f"  writers: {writers} × {writes_each}: {accepted} answered 201, {stored} stored, "
        f"write p50 {statistics.median(latencies):.0f} ms, p99 {p99:.0f} ms"
    )


def concurrent_sells(url: str) -> None:
    client = Client(url)
    client.http.post("/api/portfolio/transactions", json=activity("buy", 10, day="2016-06-01"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(
                lambda _: (
                    client.http.post(
                        "/api/portfolio/transactions", json=activity("sell", 10, day="2016-06-02")
                    ).status_code
                ),
                range(8),
            )
        )
    print(f"  sells: 8 concurrent whole-position sells: {codes.count(201)} accepted, {codes.count(422)} refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--writes-each", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    for backend in args.backends:
        with ExitStack() as stack:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stockcast-bench-")))
            if backend == "sqlite":
                url = f"sqlite:///{directory / 'stockcast.db'}"
            else:
                url = stack.enter_context(fresh_postgres_database(PG_SERVER))
            server = stack.enter_context(running_api(url, directory, workers=args.workers))
            load_prices(url, directory, "AAPL", "MSFT")
            print(f"{backend} ({args.workers} API workers):")
            read_back(server.url, args.writes)
            concurrent_writers(server.url, args.writers, args.writes_each)
            concurrent_sells(server.url)


if __name__ == "__main__":
    main()
