"""Market reads: tickers, price histories, key statistics.

Reads are `st.cache_data(ttl=…)` functions whose first argument is the database URL (so
two databases never share entries) and which return picklable values (pydantic models,
frames), never ORM objects.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.market.schemas import TickerRead
from core.market.service import get_price_history, list_tickers
from core.market.statistics import PriceStatistics, get_ticker_statistics
from ui.loaders.base import call


@st.cache_data(ttl=600, show_spinner=False)
def load_tickers(database_url: str) -> list[TickerRead]:
    return list(call(list_tickers, write=False))


@st.cache_data(ttl=300, show_spinner=False)
def load_prices(database_url: str, ticker: str, start: dt.date | None = None) -> pd.DataFrame:
    return call(get_price_history, write=False, ticker=ticker, start=start)


@st.cache_data(ttl=300, show_spinner=False)
def load_ticker_statistics(database_url: str, ticker: str) -> PriceStatistics:
    return call(get_ticker_statistics, write=False, ticker=ticker)
