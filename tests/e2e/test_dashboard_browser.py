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
    open_sidebar,
    running_dashboard,
    sidebar_right_edge,
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


@pytest.mark.timeout(300)
def test_log_in_reload_and_still_logged_in_on_the_same_page():
    with running_dashboard() as dashboard, browser_page({"width": 1440, "height": 1000}) as page:
        log_in(page, dashboard)
        cookie = next(c for c in page.context.cookies() if c["name"] == "stockcast_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
        assert "stockcast_session" not in page.evaluate("document.cookie")  # out of JavaScript's reach
        open_page(page, "Portfolio", "text=Time-weighted return")
        page.get_by_role("tab", name="Allocation").click()
        page.get_by_text("By sector").first.wait_for()
        deep_link = page.url
        assert deep_link.endswith("/Portfolio?tab=Allocation")
        page.reload()
        page.get_by_text("By sector").first.wait_for()  # the Allocation tab is open again
        wait_until_idle(page)
        assert page.url == deep_link
        assert page.get_by_role("tab", name="Allocation").get_attribute("aria-selected") == "true"
        assert page.get_by_text("Role: admin").is_visible()
        assert not page.get_by_role("button", name="Log in").count()
        # A new tab: the same browser's cookies, a new Streamlit session.
        new_tab = page.context.browser.new_context(storage_state=page.context.storage_state()).new_page()
        new_tab.set_default_timeout(120_000)
        new_tab.goto(deep_link)
        new_tab.get_by_text("By sector").first.wait_for()
        assert new_tab.get_by_text("Role: admin").is_visible()
        new_tab.context.close()
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Log in").wait_for()
        assert "stockcast_session" not in {c["name"] for c in page.context.cookies()}
        page.goto(deep_link)
        page.get_by_role("button", name="Log in").wait_for()


@pytest.mark.timeout(600)
def test_on_a_phone_the_sidebar_closes_after_each_navigation():
    SCREENSHOTS.mkdir(exist_ok=True)
    pages_present = {path.stem for path in (REPO_ROOT / "pages").glob("*.py")}
    with running_dashboard() as dashboard, browser_page({"width": 390, "height": 844}) as page:
        log_in(page, dashboard)
        wait_until_idle(page)
        assert sidebar_right_edge(page) <= 0  # Streamlit starts it collapsed on a narrow screen
        page.screenshot(path=SCREENSHOTS / "390_0_home.png", full_page=True)
        for stem, (link, ready) in PAGES.items():
            if stem not in pages_present:
                continue
            open_sidebar(page)
            # Not waiting for slow work (a first forecast): the sidebar must close before it.
            open_page(page, link, ready, idle=False)
            page.wait_for_function(
                "() => document.querySelector(\"[data-testid='stSidebar']\").getBoundingClientRect().right <= 0"
            )
            assert sidebar_right_edge(page) <= 0, f"the sidebar stays over {link}"
            page.screenshot(path=SCREENSHOTS / f"390_{stem}.png", full_page=True)


@pytest.mark.timeout(300)
def test_the_holdings_table_fits_1280_px():
    with running_dashboard() as dashboard, browser_page({"width": 1280, "height": 900}) as page:
        log_in(page, dashboard)
        open_page(page, "Portfolio", "text=Time-weighted return")
        table = page.locator("[data-testid='stDataFrame'] .dvn-scroller").first
        table.wait_for()
        scroll, visible = table.evaluate("element => [element.scrollWidth, element.clientWidth]")
        assert scroll <= visible, f"the holdings table needs {scroll} px but has {visible} px"
        page.screenshot(path=SCREENSHOTS / "1280_1_Portfolio.png", full_page=True)


@pytest.mark.timeout(300)
def test_the_watchlist_adds_a_ticker_and_shows_a_triggered_alert():
    SCREENSHOTS.mkdir(exist_ok=True)
    with running_dashboard() as dashboard, browser_page({"width": 1440, "height": 1400}) as page:
        log_in(page, dashboard)
        open_page(page, "Watchlist", "text=Price alerts")
        page.get_by_role("button", name="Add to watchlist").click()  # the first ticker: AAPL
        page.get_by_text("AAPL is on your watchlist.").wait_for()
        page.get_by_role("button", name="Add alert").click()  # AAPL, closes above $5.00
        page.get_by_text("Alert added: AAPL").wait_for()
        page.get_by_role("button", name="Check my alerts against the latest close").click()
        page.get_by_text("1 alert(s) triggered.").wait_for()
        wait_until_idle(page)
        page.screenshot(path=SCREENSHOTS / "7_Watchlist_alert.png", full_page=True)
        page.locator("[data-testid='stSidebar']").get_by_role("link", name="Home", exact=True).click()
        page.get_by_text("Triggered alerts").wait_for()
        assert page.get_by_text("AAPL closed at $").first.is_visible()
