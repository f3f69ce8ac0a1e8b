"""Benchmark: what one read unit of work costs the API process, with no HTTP around it.

A read request of the API is one unit of work: the caller's account check and the use case
(here the first page of holdings, as `GET /api/portfolio` runs it), on a seeded demo database
(a temporary SQLite file; PostgreSQL database `stockcast_bench` on 127.0.0.1, created and
dropped here). The same call runs ROUNDS × UNITS times on one thread; the figures are the
fastest round's CPU time of that thread and wall time per unit. CPU is what the unit costs the
process's cores; wall adds the round trips to the server.

    .venv/bin/python bench/units_of_work.py [--units 500] [--rounds 5] [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from api_load import postgres_database, seed, sqlite_database  # noqa: E402  (bench/ is on the path)

from core.auth.acting import run_as  # noqa: E402
from core.auth.service import find_user_by_email  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db.session import engine_for, run_unit_of_work  # noqa: E402
from core.portfolio.holdings import list_holdings  # noqa: E402


def measure(settings: Settings, units: int, rounds: int) -> tuple[float, float]:
    """Fastest round's (CPU µs, wall µs) per unit of work."""
    demo = run_unit_of_work(settings, lambda session: find_user_by_email(session, settings.demo_user_email).id)

    def one_read() -> None:
        run_as(settings, demo, list_holdings, write=False, limit=100)

    for _ in range(units // 2):  # warm: the pool, statement caches, prepared statements
        one_read()
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.thread_time()
        for _ in range(units):
            one_read()
        best_cpu = min(best_cpu, (time.thread_time() - cpu) / units * 1e6)
        best_wall = min(best_wall, (time.perf_counter() - wall) / units * 1e6)
    return best_cpu, best_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500, help="units of work per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()

    print(f"{'backend':<12} {'CPU µs/unit':>12} {'wall µs/unit':>13}   (account check + holdings page, read unit)")
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
                cpu, wall = measure(settings, args.units, args.rounds)
                print(f"{backend:<12} {cpu:>12.0f} {wall:>13.0f}")
                engine_for(url).dispose()
            finally:
                database.__exit__(None, None, None)


if __name__ == "__main__":
    main()
