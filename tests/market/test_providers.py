"""Providers without a database: bundled file, CSV validation, yfinance offline, catalog."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest

from core.config import Settings
from core.errors import InvalidInputError, NotFoundError, ServiceUnavailableError
from core.market.providers import PRICE_FRAME_COLUMNS, create_provider, list_providers
from core.market.providers.csv_upload import parse_price_csv


@pytest.fixture(scope="module")
def offline_settings() -> Settings:
    return Settings(offline=True, database_url="sqlite:///:memory:")


def test_bundled_has_all_30_tickers_with_metadata(offline_settings):
    provider = create_provider("bundled", settings=offline_settings)
    tickers = provider.list_tickers()
    assert len(tickers) == 30
    apple = next(info for info in tickers if info.symbol == "AAPL")
    assert apple.name == "Apple Inc." and apple.sector == "Information Technology" and apple.currency == "USD"


def test_bundled_history_is_clipped_and_real(offline_settings):
    provider = create_provider("bundled", settings=offline_settings)
    frame = provider.fetch_history("aapl", start=dt.date(2016, 12, 28), end=dt.date(2016, 12, 30))
    assert list(frame.columns) == PRICE_FRAME_COLUMNS
    assert [d.date() for d in frame["date"]] == [dt.date(2016, 12, 28), dt.date(2016, 12, 29), dt.date(2016, 12, 30)]
    assert frame["close"].iloc[-1] == pytest.approx(115.82)


def test_bundled_unknown_ticker_is_named(offline_settings):
    with pytest.raises(NotFoundError, match="ZZZZ"):
        create_provider("bundled", settings=offline_settings).fetch_history("ZZZZ")


def test_unknown_provider_name(offline_settings):
    assert list_providers() == ["bundled", "csv", "yfinance"]
    with pytest.raises(InvalidInputError, match="unknown price provider"):
        create_provider("bloomberg", settings=offline_settings)


def test_yfinance_offline_fails_fast_with_clear_error(offline_settings):
    provider = create_provider("yfinance", settings=offline_settings)
    with pytest.raises(ServiceUnavailableError, match="OFFLINE"):
        provider.fetch_history("AAPL", start=dt.date(2024, 1, 1))


def test_yfinance_is_imported_lazily():
    code = "import sys, core.market.service, api.routes.market; print('yfinance' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


GOOD_CSV = "Date,Open,High,Low,Close,Volume,Note\n2017-01-03,10,11,9.5,10.5,1000,x\n2017-01-04,10.5,12,10,11,,y\n"


def test_csv_upload_parses_with_given_ticker():
    frames = parse_price_csv(GOOD_CSV, ticker="acme")
    assert list(frames) == ["ACME"]
    assert frames["ACME"]["close"].tolist() == [10.5, 11.0]
    assert frames["ACME"]["volume"].tolist() == [1000.0, 0.0]


def test_csv_upload_reports_every_bad_row():
    content = (
        "date,ticker,open,high,low,close,volume\n"
        "2017-01-03,ACME,10,11,9,10,100\n"
        "2017-13-01,ACME,10,11,9,10,100\n"
        "2017-01-05,ACME,abc,11,9,10,100\n"
        "2017-01-06,ACME,10,11,10.5,10,100\n"
        "2017-01-03,ACME,10,11,9,10,100\n"
        "2017-01-09,acme co,10,11,9,10,-5\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        parse_price_csv(content)
    problems = {(d["row"], d["column"]) for d in caught.value.details}
    assert problems == {(3, "date"), (4, "open"), (5, "low/high"), (6, "date"), (7, "ticker"), (7, "volume")}
    assert all(d["reason"] for d in caught.value.details)


def test_csv_upload_missing_columns_and_empty_file():
    with pytest.raises(InvalidInputError) as caught:
        parse_price_csv("date,open,close\n2017-01-03,1,1\n")
    assert {d["column"] for d in caught.value.details} == {"high", "low", "ticker"}
    with pytest.raises(InvalidInputError, match="empty"):
        parse_price_csv(b"")


def test_yahoo_frames_become_price_frames():
    from core.market.providers.yahoo import _to_price_frame

    index = pd.DatetimeIndex(["2024-01-02 00:00:00-05:00", "2024-01-03 00:00:00-05:00"], name="Date")
    raw = pd.DataFrame(
        {
            "Open": [187.15, 184.22],
            "High": [188.44, 185.88],
            "Low": [183.89, 183.43],
            "Close": [185.64, 184.25],
            "Adj Close": [184.9, 183.5],
            "Volume": [82488700, None],
        },
        index=index,
    )
    frame = _to_price_frame(raw)
    assert list(frame.columns) == PRICE_FRAME_COLUMNS
    assert [d.isoformat() for d in frame["date"].dt.date] == ["2024-01-02", "2024-01-03"]
    assert frame["close"].tolist() == [185.64, 184.25] and frame["volume"].tolist() == [82488700, 0]
