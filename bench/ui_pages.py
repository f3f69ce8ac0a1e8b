"""Page-switch time of the dashboard with the demo portfolio (target: under 1 s).

Starts `streamlit run serve.py` on a fresh demo database, logs in with headless Chromium, and
switches through the sidebar to every page: one warm-up round (fills the caches, trains the
Stock page's forecast), then timed rounds from the click until the page's key element is
shown and the script run has finished. Without /usr/bin/chromium it times the page scripts
with AppTest instead (`--apptest`: the page script's own time, server side only).

    .venv/bin/python bench/ui_pages.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from tests.e2e.dashboard import (
    CHROMIUM,
    PAGES,
    browser_page,
    log_in,
    open_page,
    running_dashboard,
)

TARGET_SECONDS = 1.0


def bench_browser(rounds: int) -> dict[str, list[float]]:
    from core.config import REPO_ROOT

    present = {path.stem for path in (REPO_ROOT / "pages").glob("*.py")}
    pages = {stem: spec for stem, spec in PAGES.items() if stem in present}
    timings: dict[str, list[float]] = {stem: [] for stem in pages}
    with running_dashboard() as dashboard, browser_page() as page:
        log_in(page, dashboard)
        for link, ready in pages.values():  # warm-up: caches, models, MLflow store
            open_page(page, link, ready)
        for _ in range(rounds):
            for stem, (link, ready) in pages.items():
                timings[stem].append(open_page(page, link, ready))
    return timings


def bench_apptest(rounds: int) -> dict[str, list[float]]:
    import tempfile

    from streamlit.testing.v1 import AppTest

    from core.config import REPO_ROOT, get_settings
    from core.db.session import session_scope
    from core.demo import seed_demo
    from tests.e2e.dashboard import seeded_settings

    directory = Path(tempfile.mkdtemp(prefix="stockcast-bench-"))
    settings = seeded_settings(directory)
    os.environ.update(
        {
            "DATABASE_URL": settings.database_url,
            "DATA_DIR": str(directory),
            "MIGRATE_ON_START": "false",
            "OFFLINE": "true",
            "DEMO_USER_EMAIL": settings.demo_user_email,
            "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
        }
    )
    get_settings.cache_clear()
    with session_scope(settings) as session:
        user = seed_demo(session, settings=settings)
    paths = ["app.py", *sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "pages").glob("*.py"))]
    timings: dict[str, list[float]] = {path: [] for path in paths}
    apps = {}
    for path in paths:  # warm-up: caches, models, MLflow store
        apps[path] = AppTest.from_file(str(REPO_ROOT / path), default_timeout=300)
        apps[path].session_state["user_id"], apps[path].session_state["user_role"] = user.id, user.role.value
        apps[path].run()
    for _ in range(rounds):
        for path, at in apps.items():
            started = time.perf_counter()
            at.run()
            timings[path].append(time.perf_counter() - started)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apptest", action="store_true", help="time page scripts with AppTest, no browser")
    args = parser.parse_args()
    use_browser = CHROMIUM.exists() and not args.apptest
    started = time.perf_counter()
    timings = bench_browser(args.rounds) if use_browser else bench_apptest(args.rounds)
    how = "headless Chromium, sidebar click → page rendered and idle" if use_browser else "AppTest script run"
    print(f"Page switch with the demo portfolio ({how}), {args.rounds} rounds after a warm-up")
    print(f"{'page':<24}{'median s':>10}{'min s':>8}{'max s':>8}")
    worst = 0.0
    for name, values in timings.items():
        median = statistics.median(values)
        worst = max(worst, median)
        print(f"{name:<24}{median:>10.3f}{min(values):>8.3f}{max(values):>8.3f}")
    verdict = "OK" if worst < TARGET_SECONDS else "SLOWER THAN TARGET"
    print(f"worst median {worst:.3f} s (target < {TARGET_SECONDS:.0f} s): {verdict}")
    print(f"total bench time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
