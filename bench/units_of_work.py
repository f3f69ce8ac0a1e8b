"""Benchmark: what one read unit of work costs an API process, with no HTTP around it.

A read request of the API is one unit of work: the caller's account check and the use case
(here the first page of holdings, as `GET /api/portfolio` runs it), on a seeded demo database
(a temporary SQLite file; PostgreSQL database `stockcast_bench` on 127.0.0.1, created and
dropped here). The API's runner runs it one of two ways:

- threadpool: in a worker thread with its own sync unit of work, admitted as a short read
  (core.db.admission), as the runner runs an unmarked read;
- event loop: on the loop (a bounded read, core.db.loop_reads): awaited over asyncpg on
  PostgreSQL, run right there on a SQLite file.

Each way runs UNITS units one at a time and UNITS units 20 at a time, in alternating rounds
(the machine's speed drifts); the figures are the best round's process CPU and wall time per
unit. CPU is what a unit costs the cores; 20 at a time adds what the threads' contention for
the GIL costs.

Then the wait in line: 50 callers, each asking for its next unit as soon as its last is
answered (as 50 connections to one API process would) for SECONDS, with each way admitted
(core.db.admission: first come first served, a short read 2 at a time in threads, no more
reads on the loop than its pool has connections) and not (each unit straight to a thread of
anyio's 40 and to the pool, as before admission): p50, p99 and the worst wall time of a unit,
per round.

    .venv/bin/python bench/units_of_work.py [--units 400] [--rounds 5] [--seconds 5]
        [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import anyio  # noqa: E402
from api_load import postgres_database, seed, sqlite_database  # noqa: E402  (bench/ is on the path)

from core.auth.acting import acting_work  # noqa: E402
from core.auth.service import find_user_by_email  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import loop_reads  # noqa: E402
from core.db.admission import run_in_thread  # noqa: E402
from core.db.loop_reads import close_loop_pool, read_on_loop, reads_on_loop  # noqa: E402
from core.db.session import engine_for, run_unit_of_work  # noqa: E402
from core.portfolio.holdings import list_holdings  # noqa: E402

AT_ONCE = 20
CALLERS = 50


def holdings_read(settings: Settings):
    demo = run_unit_of_work(settings, lambda session: find_user_by_email(session, settings.demo_user_email).id)
    return acting_work(demo, list_holdings, limit=100)


def ways(settings: Settings) -> dict:
    """Each way the runner may run the holdings read, as an awaitable call."""
    work = holdings_read(settings)
    found = {"threadpool": lambda: run_in_thread(settings, work, write=False, short_read=True)}
    if reads_on_loop(settings):
        found["event loop"] = lambda: read_on_loop(settings, work)
    return found


def admitted_or_not(settings: Settings) -> dict:
    """Each way, admitted as the runner does, and not (straight to the pool)."""
    work = holdings_read(settings)
    found = {
        "threadpool, admitted": lambda: run_in_thread(settings, work, write=False, short_read=True),
        "threadpool, not": lambda: anyio.to_thread.run_sync(partial(run_unit_of_work, settings, work, write=False)),
    }
    if reads_on_loop(settings):
        found["event loop, admitted"] = lambda: read_on_loop(settings, work)
    if reads_on_loop(settings) and settings.database_url.startswith("postgresql"):  # SQLite's run one at a time
        found["event loop, not"] = lambda: loop_reads._read(loop_reads._loop_reads(settings).sessions, work)
    return found


async def in_line(call, seconds: float) -> tuple[int, float, float, float]:
    """Units answered, and p50, p99 and worst ms of one, with CALLERS callers asking back to back."""
    took: list[float] = []
    until = time.monotonic() + seconds

    async def caller() -> None:
        while time.monotonic() < until:
            started = time.perf_counter()
            await call()
            took.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(caller() for _ in range(CALLERS)))
    took.sort()
    return len(took), took[len(took) // 2], took[int(len(took) * 0.99)], took[-1]


async def measure_lines(settings: Settings, seconds: float, rounds: int) -> list[tuple[str, tuple]]:
    calls = admitted_or_not(settings)
    figures = []
    for _ in range(rounds):
        for name, call in calls.items():
            figures.append((name, await in_line(call, seconds)))
    await close_loop_pool()
    return figures


async def one_round(call, units: int, at_once: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(units // at_once):
        await asyncio.gather(*(call() for _ in range(at_once)))
    done = units // at_once * at_once
    return (time.process_time() - cpu) / done * 1e6, (time.perf_counter() - wall) / done * 1e6


async def measure(settings: Settings, units: int, rounds: int) -> dict[tuple[str, int], tuple[float, float]]:
    """Best round's (CPU µs, wall µs) per unit, per way and concurrency."""
    calls = ways(settings)
    for call in calls.values():  # warm: pools, statement caches, prepared statements
        await one_round(call, units, AT_ONCE)
    best: dict[tuple[str, int], tuple[float, float]] = {}
    for _ in range(rounds):
        for name, call in calls.items():
            for at_once in (1, AT_ONCE):
                cpu, wall = await one_round(call, units, at_once)
                old = best.get((name, at_once), (float("inf"), float("inf")))
                best[(name, at_once)] = (min(old[0], cpu), min(old[1], wall))
    await close_loop_pool()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=400, help="units of work per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="of each round of the wait in line")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    lines = []
    print("account check + first page of holdings, one read unit of work; best of the rounds")
    print(f"{'backend':<12} {'runs in':<12} {'at once':>8} {'CPU µs/unit':>12} {'wall µs/unit':>13}")
    with tempfile.TemporaryDirectory(prefix="stockcast-bench-") as tmp:
        for backend in args.backends:
            database = postgres_database() if backend == "postgresql" else sqlite_database(Path(tmp))
            try:
                url = database.__enter__()
            except Exception as exc:  # no PostgreSQL server here: say so and go on
                print(f"{backend:<12} skipped ({type(exc).__name__}: {exc})")
                continue
            try:
                settings = Settings(
                    database_url=url,
                    data_dir=Path(tmp) / f"data-{backend}",
                    jwt_secret=secrets.token_urlsafe(48),
                    migrate_on_start=False,
                    offline=True,
                )
                seed(settings)
                for (name, at_once), (cpu, wall) in asyncio.run(measure(settings, args.units, args.rounds)).items():
                    print(f"{backend:<12} {name:<12} {at_once:>8} {cpu:>12.0f} {wall:>13.0f}")
                lines += [(backend, *figure) for figure in asyncio.run(measure_lines(settings, args.seconds, 2))]
                engine_for(url).dispose()
            finally:
                database.__exit__(None, None, None)
    print(f"\nthe wait in line: {CALLERS} callers back to back, {args.seconds:.0f} s a round, two alternating rounds")
    print(f"{'backend':<12} {'runs in':<22} {'units':>7} {'p50 ms':>8} {'p99 ms':>8} {'worst ms':>9}")
    for backend, name, (count, p50, p99, worst) in lines:
        print(f"{backend:<12} {name:<22} {count:>7} {p50:>8.1f} {p99:>8.1f} {worst:>9.1f}")


if __name__ == "__main__":
    main()
