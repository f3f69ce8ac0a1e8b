"""The Portfolio page's performance tab: the period an analyst picks is the one every figure
covers, the benchmark's included, and the returns-by-year table is the core's."""

from __future__ import annotations

from core.auth.service import get_user
from core.db.session import session_scope
from core.formatting import number, plain_percent
from core.portfolio.analytics import measure_performance, returns_by_year
from tests.ui.conftest import demo_user, open_page, ui_database, ui_settings  # noqa: F401

PAGE = "pages/1_Portfolio.py"


def _core(settings, user_id: int, service, **kwargs):
    with session_scope(settings, write=False) as session:
        return service(session, owner=get_user(session, user_id=user_id), **kwargs)


def test_the_period_picked_is_the_one_every_figure_covers(ui_settings, demo_user):  # noqa: F811
    at = open_page(PAGE, demo_user)
    assert not at.exception
    period = at.selectbox(key="period")
    assert period.value == "Since inception"
    assert {"1 month", "3 months", "Year to date", "1 year", "3 years", "2016", "2014", "Custom dates"} <= set(
        period.options
    )
    at = period.set_value("2016").run()
    assert not at.exception
    shown = {metric.label: metric.value for metric in at.metric}
    report = _core(ui_settings, demo_user.user_id, measure_performance, period="2016", benchmark="EQUAL_WEIGHT")
    assert shown["TWR"] == plain_percent(report.twr)
    assert shown["Benchmark TWR"] == plain_percent(report.benchmark_twr)
    assert shown["Sortino"] == number(report.sortino) and shown["Sharpe"] == number(report.sharpe)
    assert shown["Downside dev. (ann.)"] == plain_percent(report.downside_deviation)
    assert any("2016-01-04" in caption.value and "2016-12-30" in caption.value for caption in at.caption)

    years = _core(ui_settings, demo_user.user_id, returns_by_year, benchmark="EQUAL_WEIGHT")
    table = next(frame.value for frame in at.dataframe if "Benchmark" in frame.value.columns)
    assert list(table["Year"]) == [str(row.year) for row in years.years]
    assert list(table["Portfolio"]) == [row.twr for row in years.years]
    assert table.loc[table["Year"] == "2016", "Portfolio"].item() == report.twr  # the year = its period


def test_custom_dates_measure_from_the_first_session_on_or_after_the_start(ui_settings, demo_user):  # noqa: F811
    import datetime as dt

    at = open_page(PAGE, demo_user)
    at = at.selectbox(key="period").set_value("Custom dates").run()
    at = at.date_input(key="period_start").set_value(dt.date(2016, 3, 12)).run()
    at = at.date_input(key="period_end").set_value(dt.date(2016, 9, 15)).run()
    assert not at.exception
    report = _core(
        ui_settings,
        demo_user.user_id,
        measure_performance,
        start=dt.date(2016, 3, 12),
        end=dt.date(2016, 9, 15),
        benchmark="EQUAL_WEIGHT",
    )
    assert report.start == dt.date(2016, 3, 14)  # the 12th is a Saturday
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["TWR"] == plain_percent(report.twr) and shown["Beta"] == number(report.beta)
