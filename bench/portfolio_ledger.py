"""Benchmark: big ledgers on real prices (issue 22's "bigger ledgers" figures).

Loads the 30 development tickers (../shared/data/prices_dev.csv, 982 sessions) into a
throw-away database, generates a valid ledger of N activities (buys, sells, dividends, fees,
deposits and withdrawals; cash never below zero, no oversell), imports it as a CSV through
`import_transactions` (timed), then times `summarize_portfolio` and `measure_performance`
(against the equal-weight universe) each in its own unit of work, as the API runs them:
cold (no cache) and warm (the analytics cache of a settled ledger). Each ledger size runs in
its own process, so the peak resident memory printed is that size's. Beside each wall time:
this process's CPU time, and where the rest went (Clock: waiting for a core, blocked, and a
local PostgreSQL server's CPU), so a figure taken on a busy machine can be read.

    .venv/bin/python bench/portfolio_ledger.py [--activities 15000,100000] [--runs 7]
    .venv/bin/python bench/portfolio_ledger.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With a PostgreSQL URL, a database named stockcast_bench_<pid> is created there and dropped
afterwards. Targets: 15,000 activities ≤ 200 ms each; 100,000 ≤ 2 s and ≤ 1 GB; a
100,000-row import ≤ 20 s.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, event, text

from core.auth.acting import run_as
from core.auth.schemas import UserCreate
from core.auth.service import register_user
from core.config import Settings
from core.db.migrate import upgrade_to_head
from core.db.session import engine_for, session_scope
from core.market.repository import upsert_prices, upsert_ticker
from core.portfolio.activities import activity_rows
from core.portfolio.analytics import measure_performance, summarize_portfolio
from core.portfolio.analytics_cache import analytics_cache
from core.portfolio.ledger import import_transactions, read_transactions_file

ROOT = Path(__file__).resolve().parent.parent


def default_prices() -> Path:
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "data" / "prices_dev.csv"
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "data" / "prices_dev.csv"


def load_prices(settings: Settings, path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, parse_dates=["date"])
    with session_scope(settings) as session:
        for ticker, rows in frame.groupby("ticker"):
            upsert_ticker(session, ticker, name=ticker, sector="Bench", currency="USD", source="bundled")
            upsert_prices(session, ticker, rows.drop(columns="ticker"), source="bundled")
    return frame.pivot(index="date", columns="ticker", values="close").sort_index()


def ledger_csv(closes: pd.DataFrame, activities: int, seed: int = 11) -> str:
    """A valid ledger of `activities` rows spread over every session (deterministic)."""
    rng = np.random.default_rng(seed)
    days, tickers = closes.index, list(closes.columns)
    per_day = np.bincount(np.sort(rng.integers(0, len(days), activities - 1)), minlength=len(days))
    held = dict.fromkeys(tickers, 0.0)
    cash = 5_000_000.0
    lines = ["date,ticker,type,quantity,price,fee,amount", f"{days[0].date()},,deposit,0,0,0,{cash}"]
    for index, day in enumerate(days):
        prices = closes.iloc[index]
        for _ in range(per_day[index]):
            ticker = tickers[rng.integers(len(tickers))]
            price = float(prices[ticker])
            draw = rng.random()
            if draw < 0.5 or held[ticker] < 1:
                quantity = float(rng.integers(1, 20))
                at = price if rng.random() < 0.5 else round(price * (1 + rng.normal(0, 0.003)), 2)
                if cash < quantity * at + 1:
                    lines.append(f"{day.date()},,deposit,0,0,0,100000")
                    cash += 100000
                    continue
                held[ticker] += quantity
                cash -= quantity * at + 1.0
                lines.append(f"{day.date()},{ticker},buy,{quantity:g},{at},1.0,")
            elif draw < 0.8:
                quantity = float(rng.integers(1, int(held[ticker]) + 1))
                held[ticker] -= quantity
                cash += quantity * price - 1.0
                lines.append(f"{day.date()},{ticker},sell,{quantity:g},{price},1.0,")
            elif draw < 0.93:
                per_share = round(float(rng.uniform(0.1, 0.9)), 2)
                cash += held[ticker] * per_share
                lines.append(f"{day.date()},{ticker},dividend,{held[ticker]:g},{per_share},0,")
            elif draw < 0.97 or cash < 1000:
                cash -= 2.5
                lines.append(f"{day.date()},{ticker},fee,0,0,0,2.5")
            else:
                cash -= 500
                lines.append(f"{day.date()},,withdrawal,0,0,0,500")
    return "\n".join(lines) + "\n"


@contextmanager
def throwaway_database(base_url: str | None):
    if not base_url:
        with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as directory:
            yield f"sqlite:///{directory}/bench.db", Path(directory)
        return
    name = f"stockcast_bench_{os.getpid()}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = base_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as directory:
            yield url, Path(directory)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Clock:
    """Where a call's wall time went: this process's CPU time, the time it was ready to run
    but waited for a core (the run queue: other work on the machine; Linux's
    /proc/self/schedstat, else not shown), and the rest, blocked (disk, fsync, locks, or a
    PostgreSQL server's answer). With PostgreSQL on this machine, the CPU time of the bench
    database's server processes too (in clock ticks of 10 ms)."""

    def __init__(self, settings: Settings) -> None:
        self._schedstat = Path("/proc/self/schedstat")
        self._engine = engine_for(settings.database_url) if settings.database_url.startswith("postgresql") else None
        self._ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def _waited(self) -> float:
        """Milliseconds this (main) thread has spent ready to run, waiting for a core."""
        try:
            return int(self._schedstat.read_text().split()[1]) / 1e6
        except OSError:
            return math.nan

    def _server_cpu(self) -> float:
        if self._engine is None:
            return math.nan
        with self._engine.connect() as connection:
            pids = connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            total = 0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    return math.nan  # a server elsewhere: its CPU is not ours to read
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total * 1000 / self._ticks

    def measure(self, function) -> dict[str, float]:
        """Run `function` once: wall, cpu, waiting (run queue), blocked and server milliseconds."""
        server, waited, cpu = self._server_cpu(), self._waited(), time.process_time()
        started = time.perf_counter()
        function()
        wall = (time.perf_counter() - started) * 1000
        cpu, waited = (time.process_time() - cpu) * 1000, self._waited() - waited
        return {
            "wall": wall,
            "cpu": cpu,
            "waiting": waited,
            "blocked": wall - cpu - waited,
            "server": self._server_cpu() - server,
        }


def timed(clock: Clock, function, runs: int) -> dict[str, float]:
    """The median of each of `runs` measures (Clock.measure), and the minimum wall ("best"):
    CPU is what counts on a shared, busy machine (SQLite runs in this process)."""
    measures = [clock.measure(function) for _ in range(runs)]
    medians = {name: statistics.median(m[name] for m in measures) for name in measures[0]}
    return medians | {"best": min(m["wall"] for m in measures)}


def where(measure: dict[str, float], unit: str = "") -> str:
    """The part of a measure that is not this process's CPU, in words (milliseconds)."""
    parts = []
    if not math.isnan(measure["waiting"]):
        parts.append(f"waiting for a core {measure['waiting']:.1f}{unit}")
        parts.append(f"blocked {max(measure['blocked'], 0.0):.1f}{unit}")
    if not math.isnan(measure["server"]):
        parts.append(f"server CPU {measure['server']:.0f}{unit}")  # in clock ticks (10 ms)
    return "; ".join(parts)


def run_size(activities: int, prices: str, base_url: str | None, runs: int, explain: bool = False) -> None:
    with throwaway_database(base_url) as (url, directory):
        upgrade_to_head(url)
        settings = Settings(database_url=url, data_dir=directory, offline=True, redis_url="")
        closes = load_prices(settings, Path(prices))
        content = ledger_csv(closes, activities)
        with session_scope(settings) as session:
            user_id = register_user(session, data=UserCreate(email="bench@example.com", password="bench-password")).id
        clock = Clock(settings)
        before = peak_mb()
        outcome: dict = {}

        def load() -> None:
            started = time.perf_counter()
            parsed = read_transactions_file(content.encode())  # as the API does, before the unit of work
            outcome["parsing"] = time.perf_counter() - started
            outcome["result"] = run_as(settings, user_id, import_transactions, parsed=parsed)

        spent = clock.measure(load)
        print(
            f"{activities:,} activities ({url.split(':')[0]}): import {spent['wall'] / 1000:.1f} s wall, "
            f"{spent['cpu'] / 1000:.1f} s CPU (parsing {outcome['parsing']:.1f} s outside the unit of work, "
            f"{spent['wall'] / 1000 - outcome['parsing']:.1f} s inside; {outcome['result'].imported:,} rows; "
            f"peak RSS {before:.0f} → {peak_mb():.0f} MB; {where(spent, ' ms')})"
        )
        cold = {
            "summary": lambda: run_as(settings, user_id, summarize_portfolio, write=False),
            "performance": lambda: run_as(
                settings, user_id, measure_performance, write=False, benchmark="EQUAL_WEIGHT"
            ),
        }
        cache = analytics_cache(settings)
        warm = {
            "summary": lambda: run_as(settings, user_id, summarize_portfolio, write=False, cache=cache),
            "performance": lambda: run_as(
                settings, user_id, measure_performance, write=False, benchmark="EQUAL_WEIGHT", cache=cache
            ),
        }
        for state, functions in (("cold", cold), ("warm", warm)):
            for name, function in functions.items():
                if state == "warm":
                    function()  # fills the cache
                spent = timed(clock, function, runs)
                print(
                    f"  {name:12s} {state}: median {spent['wall']:8.1f} ms (min {spent['best']:8.1f}; "
                    f"CPU median {spent['cpu']:8.1f}; {where(spent)})"
                )
        print(f"  peak resident memory of this size: {peak_mb():.0f} MB")
        if explain:
            explain_queries(settings, user_id)


def explain_queries(settings: Settings, user_id: int) -> None:
    """EXPLAIN (PostgreSQL) every statement a summary, a performance report and a holding's
    rewrite send, with the parameters they were sent with."""
    engine = engine_for(settings.database_url)
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "(SELECT")):
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        run_as(settings, user_id, summarize_portfolio, write=False)
        run_as(settings, user_id, measure_performance, write=False, benchmark="EQUAL_WEIGHT")
        run_as(settings, user_id, activity_rows, write=False, ticker="AAPL")  # what a holding's rewrite reads
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as connection:
        for statement, parameters in captured:
            plan = connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters).all()
            print("  --", " ".join(statement.split())[:150])
            for (line,) in plan:
                if "Scan" in line or "Execution Time" in line:
                    print("     ", line.strip()[:150])


def run_ledgers(
    sizes: list[int], *, runs: int, database_url: str | None, prices: str | None = None, explain: bool = False
) -> None:
    """Each size in its own process (its peak memory is its own)."""
    context = multiprocessing.get_context("spawn")
    for size in sizes:
        arguments = (size, prices or str(default_prices()), database_url, runs, explain and bool(database_url))
        process = context.Process(target=run_size, args=arguments)
        process.start()
        process.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", default="15000,100000", help="comma-separated ledger sizes")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--prices", default=str(default_prices()))
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--explain", action="store_true", help="print the PostgreSQL plans of the figures' queries")
    args = parser.parse_args()
    sizes = [int(part) for part in args.activities.split(",")]
    run_ledgers(sizes, runs=args.runs, database_url=args.database_url, prices=args.prices, explain=args.explain)
    if hasattr(os, "getloadavg"):
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
