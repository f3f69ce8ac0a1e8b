"""Every page renders without exceptions or error messages, for the demo portfolio and an empty one."""

from __future__ import annotations

import pytest

from tests.ui.conftest import error_texts, open_page

PAGES = [
    "app.py",
    "pages/1_Portfolio.py",
    "pages/2_Stock.py",
    "pages/3_Predictions.py",
    "pages/4_Backtests.py",
    "pages/7_Watchlist.py",
]
# Light models keep page tests fast; the Stock page's default (the ensemble) trains heavier ones.
FAST_CHOICES = {"stock_model": "drift"}


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_for_an_empty_portfolio(page, empty_user):
    at = open_page(page, empty_user, **FAST_CHOICES)
    assert not at.exception, at.exception
    assert not error_texts(at)
    assert at.sidebar.button(key="logout")


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_for_the_demo_portfolio(page, ui_settings, demo_user):
    at = open_page(page, demo_user, **FAST_CHOICES)
    assert not at.exception, at.exception
    assert not error_texts(at)


@pytest.mark.parametrize("page", [*PAGES, "pages/6_Admin.py", "pages/8_Settings.py"])
def test_logged_out_visitors_get_the_login_form(page, ui_settings):
    at = open_page(page, None)
    assert not at.exception
    assert at.text_input(key="login_email")
    assert not at.title or at.title[0].value == "Stockcast"
