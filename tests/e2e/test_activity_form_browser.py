"""In a real browser, the record form keeps what is typed: a negative quantity stays on screen,
is refused beside the field, and nothing is recorded (the browser used to keep the old value)."""

from __future__ import annotations

import re

import pytest

from core.auth.service import find_user_by_email
from core.db.session import session_scope
from core.portfolio.activities import list_activities
from tests.e2e.dashboard import (
    CHROMIUM,
    DEMO_EMAIL,
    browser_page,
    log_in,
    open_page,
    running_dashboard,
    wait_until_idle,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]


def activity_count(settings) -> int:
    with session_scope(settings) as session:
        return len(list_activities(session, owner=find_user_by_email(session, DEMO_EMAIL)))


@pytest.mark.timeout(300)
def test_a_negative_quantity_typed_in_the_browser_is_refused_and_nothing_is_recorded():
    with running_dashboard() as dashboard, browser_page() as page:
        before = activity_count(dashboard.settings)
        log_in(page, dashboard)
        open_page(page, "Portfolio", "text=Time-weighted return")
        page.get_by_role("tab", name="Activities").click()
        ticker = page.get_by_label("Ticker", exact=True).locator("visible=true").first
        ticker.fill("KO")
        ticker.press("Enter")
        page.get_by_text("KO: prices stored from").first.wait_for()  # the run for KO has finished
        wait_until_idle(page)
        quantity = page.get_by_label("Quantity", exact=True).locator("visible=true").first
        quantity.fill("-5")
        quantity.press("Enter")
        wait_until_idle(page)
        assert quantity.input_value() == "-5.00" or float(quantity.input_value()) == -5  # shown as typed
        page.get_by_text("Quantity cannot be negative.").first.wait_for()
        page.get_by_role("button", name="Record activity").click()
        page.get_by_text("Nothing was recorded: correct the fields marked above.").wait_for()
        wait_until_idle(page)
        assert page.get_by_text(re.compile(r"^Recorded:")).count() == 0  # no green toast
        assert activity_count(dashboard.settings) == before
