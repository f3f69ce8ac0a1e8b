from __future__ import annotations

import pandas as pd

from models.calendar import is_trading_day, next_trading_days, trading_days_between


def test_next_trading_days_skip_weekends_and_nyse_holidays() -> None:
    days = next_trading_days(pd.Timestamp("2016-12-22"), 4)
    assert [d.strftime("%Y-%m-%d") for d in days] == ["2016-12-23", "2016-12-27", "2016-12-28", "2016-12-29"]
    # Good Friday 2017-04-14 and Juneteenth (observed from 2022) are closures.
    assert next_trading_days(pd.Timestamp("2017-04-13"), 1)[0] == pd.Timestamp("2017-04-17")
    assert next_trading_days(pd.Timestamp("2023-06-16"), 1)[0] == pd.Timestamp("2023-06-20")


def test_new_year_on_saturday_is_not_moved_to_friday() -> None:
    assert is_trading_day(pd.DatetimeIndex(["2021-12-31"])).all()
    assert not is_trading_day(pd.DatetimeIndex(["2022-01-01", "2017-01-02", "2018-12-05"])).any()


def test_calendar_matches_the_bundled_data_sessions() -> None:
    from tests.models.conftest import read_closes

    dates = read_closes("AAPL").index
    assert trading_days_between(dates[0], dates[-1]).equals(pd.DatetimeIndex(dates, name="date"))


def test_future_sessions_skip_holidays_past_the_old_hand_written_list() -> None:
    # 2027: Independence Day falls on a Sunday (closed Monday 5 July), Christmas on a Saturday
    # (closed Friday 24 December), Good Friday is 26 March; exchange-calendars knows them all.
    assert next_trading_days(pd.Timestamp("2027-07-02"), 1)[0] == pd.Timestamp("2027-07-06")
    assert next_trading_days(pd.Timestamp("2027-12-23"), 1)[0] == pd.Timestamp("2027-12-27")
    assert not is_trading_day(pd.DatetimeIndex(["2027-03-26", "2027-07-05", "2027-12-24"])).any()
    assert is_trading_day(pd.DatetimeIndex(["2027-03-25", "2027-07-06"])).all()
    # A special closure no rule predicts (the national day of mourning of 9 January 2025).
    assert not is_trading_day(pd.DatetimeIndex(["2025-01-09"])).any()
