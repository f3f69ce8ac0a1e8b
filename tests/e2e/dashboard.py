"""Run the real dashboard (`streamlit run serve.py`: app.py plus the session-cookie routes) on
a free port against a fresh, seeded database, and drive it with headless Debian Chromium through Playwright.

Used by the end-to-end test and by `bench/ui_pages.py`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.config import REPO_ROOT, Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-e2e"
# Page file → (sidebar link text, an element only that page shows once rendered).
PAGES = {
    "1_Portfolio": ("Portfolio", "text=Time-weighted return"),
    "2_Stock": ("Stock", "text=Key statistics"),
    "3_Predictions": ("Predictions", "text=Portfolio projection"),
    "4_Backtests": ("Backtests", "button:has-text('Run backtest')"),
    "5_Chat": ("Chat", "[data-testid='stChatInput']"),
    "6_Admin": ("Admin", "text=Users and roles"),
    "7_Watchlist": ("Watchlist", "text=Price alerts"),
    "8_Settings": ("Settings", "text=Personal access tokens"),
}


@dataclass(frozen=True)
class Dashboard:
    url: str
    settings: Settings
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seeded_settings(directory: Path) -> Settings:
    """A migrated database in `directory` with the demo user (an admin) and portfolio."""
    from core.db.migrate import upgrade_to_head
    from core.db.session import session_scope
    from core.demo import seed_demo

    settings = Settings(
        database_url=f"sqlite:///{directory / 'stockcast.db'}",
        data_dir=directory,
        migrate_on_start=False,
        offline=True,
        demo_user_email=DEMO_EMAIL,
        demo_user_password=DEMO_PASSWORD,
        mlflow_tracking_uri=f"sqlite:///{directory / 'mlflow.db'}",
        mlflow_artifact_root=directory / "mlartifacts",
    )
    upgrade_to_head(settings.database_url)
    with session_scope(settings) as session:
        seed_demo(session, settings=settings)
    return settings


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_dashboard(extra_env: dict[str, str] | None = None) -> Iterator[Dashboard]:
    with tempfile.TemporaryDirectory(prefix="stockcast-e2e-") as tmp:
        directory = Path(tmp)
        settings = seeded_settings(directory)
        port = free_port()
        env = (
            os.environ
            | {
                "DATABASE_URL": settings.database_url,
                "DATA_DIR": str(directory),
                "MIGRATE_ON_START": "false",
                "OFFLINE": "true",
                "DATA_PROVIDER": "bundled",
                "DEMO_USER_EMAIL": DEMO_EMAIL,
                "DEMO_USER_PASSWORD": DEMO_PASSWORD,
                "MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri,
                "MLFLOW_ARTIFACT_ROOT": str(settings.mlflow_artifact_root),
                "MLFLOW_DISABLE_TELEMETRY": "true",
                "SKILL_FOLDS": "3",  # each forecast's own skill backtest: few origins in the browser test
                "LOG_JSON": "false",
                "REDIS_URL": "",
                "OLLAMA_HOST": "",
                "OPENAI_BASE_URL": "",
                "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1",
                "OMP_NUM_THREADS": "1",
            }
            | (extra_env or {})
        )
        log = directory / "streamlit.log"
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "serve.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
        with open(log, "w") as output:
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, log)
            yield Dashboard(url=url, settings=settings, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


# Reports every Content-Security-Policy violation (a blocked script, style, socket, frame…) to
# the console, where browser_page collects it.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', event => console.error(
  'CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') +
  ' at ' + event.sourceFile + ':' + event.lineNumber));
"""


@contextmanager
def browser_page(viewport: dict | None = None):
    """A Chromium page; on leaving, fails if the dashboard's CSP blocked anything meanwhile."""
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=viewport or {"width": 1440, "height": 1000})
            page.set_default_timeout(120_000)
            page.add_init_script(_REPORT_CSP_VIOLATIONS)
            page.on("console", lambda message: _keep_violation(violations, message.text))
            yield page
        finally:
            browser.close()
    assert not violations, "the dashboard's Content-Security-Policy blocked:\n" + "\n".join(violations)


def _keep_violation(violations: list[str], text: str) -> None:
    if text.startswith("CSP violation") or "Content Security Policy" in text:
        violations.append(text)


def log_in(page, dashboard: Dashboard, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
    page.goto(dashboard.url)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Welcome,").wait_for()
    page.get_by_text("Market value").first.wait_for()


def open_page(page, link_text: str, ready: str, *, idle: bool = True) -> float:
    """Switch page through the sidebar (same session); seconds until `ready` is visible (and,
    with `idle`, the script run has finished)."""
    started = time.perf_counter()
    page.locator("[data-testid='stSidebar']").get_by_role("link", name=link_text, exact=True).click()
    page.locator(ready).first.wait_for(state="visible")
    if idle:
        wait_until_idle(page)
    return time.perf_counter() - started


def sidebar_right_edge(page) -> float:
    """Where the sidebar ends on screen (0 or less: collapsed, off the page)."""
    box = page.locator("[data-testid='stSidebar']").bounding_box()
    return 0.0 if box is None else box["x"] + box["width"]


def open_sidebar(page) -> None:
    if sidebar_right_edge(page) <= 0:
        page.locator("[data-testid='stExpandSidebarButton']").click()
        page.wait_for_function(
            "() => document.querySelector(\"[data-testid='stSidebar']\").getBoundingClientRect().right > 0"
        )


def wait_until_idle(page) -> None:
    """Until Streamlit has finished the script run (the app root says so in an attribute)."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached")
