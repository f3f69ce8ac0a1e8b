"""End to end in real headless Chromium: log in, open every page, check what it shows."""

from __future__ import annotations

import pytest

from core.config import REPO_ROOT
from tests.e2e.dashboard import (
    CHROMIUM,
    PAGES,
    browser_page,
    log_in,
    open_page,
    running_dashboard,
    wait_until_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian chromium at /usr/bin/chromium (apt-get install -y chromium; `make test` installs it)",
    ),
]
SCREENSHOTS = REPO_ROOT / "screenshots"


def sell_and_see_the_closed_position(page) -> None:
    """Record a sell of the whole GOOGL holding through the form; it shows as closed."""
    page.get_by_role("tab", name="Activities").click()
    page.get_by_text("Sell", exact=True).locator("visible=true").first.click()
    wait_until_idle(page)
    ticker = page.locator("[data-testid='stSelectbox']").filter(has_text="Ticker").locator("visible=true").first
    ticker.click()
    page.get_by_role("option", name="GOOGL", exact=True).click()
    wait_until_idle(page)
    quantity = page.get_by_label("Quantity", exact=True).locator("visible=true").first
    quantity.fill("5")
    quantity.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Record activity").click()
    page.get_by_text("Recorded: sell 5 GOOGL on 2016-12-30").wait_for()
    page.get_by_role("tab", name="Closed positions").click()
    page.get_by_text("GOOGL, XOM").first.wait_for()
    page.screenshot(path=SCREENSHOTS / "1_Portfolio_closed.png", full_page=True)


def show_allocation(page) -> None:
    sell_and_see_the_closed_position(page)
    page.get_by_role("tab", name="Allocation").click()
    page.get_by_text("By sector").first.wait_for()
    page.screenshot(path=SCREENSHOTS / "1_Portfolio_allocation.png", full_page=True)
    page.get_by_role("tab", name="Performance & risk").click()
    page.get_by_text("Max drawdown").first.wait_for()
    page.screenshot(path=SCREENSHOTS / "1_Portfolio_performance.png", full_page=True)


def run_backtest(page) -> None:
    page.get_by_role("button", name="Run backtest").click()
    page.get_by_text("Error by horizon").first.wait_for(timeout=300_000)
    wait_until_idle(page)
    assert page.get_by_text("MLflow runs:").is_visible()
    page.screenshot(path=SCREENSHOTS / "4_Backtests_run.png", full_page=True)


ACTIONS = {"1_Portfolio": show_allocation, "4_Backtests": run_backtest}


@pytest.mark.timeout(600)
def test_log_in_and_open_every_page():
    SCREENSHOTS.mkdir(exist_ok=True)
    with running_dashboard() as dashboard, browser_page({"width": 1440, "height": 1800}) as page:
        page.goto(dashboard.url)
        page.get_by_role("button", name="Log in").wait_for()
        page.screenshot(path=SCREENSHOTS / "0_login.png")
        log_in(page, dashboard)
        assert page.get_by_text("Role: admin").is_visible()
        page.screenshot(path=SCREENSHOTS / "0_home.png", full_page=True)
        pages_present = {path.stem for path in (REPO_ROOT / "pages").glob("*.py")}
        for stem, (link, ready) in PAGES.items():
            if stem not in pages_present:
                continue
            open_page(page, link, ready)
            assert not page.locator("[data-testid='stException']").count(), f"{link} shows a traceback"
            errors = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
            assert not errors, f"{link} shows errors: {errors}"
            page.screenshot(path=SCREENSHOTS / f"{stem}.png", full_page=True)
            if stem in ACTIONS:
                ACTIONS[stem](page)
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Log in").wait_for()
