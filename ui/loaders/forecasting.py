"""Forecasting reads and runs: the model catalog, realised accuracy, tracked backtests,
forecasts through the serving layer, their skill, and backtests.

Reads are `st.cache_data(ttl=…)` functions whose first argument is the database URL (so
two databases never share entries) and which return picklable values (pydantic models,
frames), never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.config import get_settings
from core.forecasting.accuracy import realised_accuracy, realised_by_month
from core.forecasting.backtest import BacktestResult, default_config
from core.forecasting.service import backtest_models
from core.market.service import get_price_history
from core.tracking.runs import log_backtests
from core.tracking.schemas import BacktestSkill
from core.tracking.store import experiment_url
from core.tracking.summary import latest_backtest_summary
from models.catalog import describe_models
from ui.loaders.base import call, call_as


@st.cache_resource(show_spinner=False)
def load_model_catalog() -> list[dict[str, Any]]:
    """The forecasters installed (name, min_history, interval method, default params)."""
    return describe_models()


@st.cache_data(ttl=300, show_spinner=False)
def load_realised_accuracy(
    database_url: str, user_id: int, ticker: str | None = None, model: str | None = None
) -> pd.DataFrame:
    """Realised accuracy of what `user_id` may see (their forecasts and the shared ones)."""
    return call_as(user_id, realised_accuracy, write=False, user_arg="visible_to", ticker=ticker, model=model)


@st.cache_data(ttl=300, show_spinner=False)
def load_realised_by_month(
    database_url: str, user_id: int, ticker: str | None, replayed: bool | None, window_months: int
) -> pd.DataFrame:
    """Realised accuracy by month of what `user_id` may see (their forecasts and the replay's)."""
    return call_as(
        user_id,
        realised_by_month,
        write=False,
        user_arg="visible_to",
        ticker=ticker,
        replayed=replayed,
        window_months=window_months,
    )


@st.cache_data(ttl=600, show_spinner=False)
def load_experiment_url(name: str) -> str:
    """The configured MLflow UI's page of experiment `name` (ServiceUnavailableError when down)."""
    return experiment_url(get_settings(), name)


@st.cache_data(ttl=120, show_spinner=False)
def load_backtest_summary(database_url: str, ticker: str) -> list[BacktestSkill]:
    """The newest tracked backtest of each model on `ticker` (BacktestSkill records)."""
    return list(latest_backtest_summary(ticker, settings=get_settings()))


def backtest_ticker(
    ticker: str,
    *,
    models: list[str],
    horizon: int,
    folds: int,
    window: str = "expanding",
    train_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """A rolling-origin backtest of catalog models on the ticker's stored closes."""
    closes = backtest_closes(ticker)
    config = default_config(horizon, folds, window=window, train_size=train_size)  # the CLI's and MCP's plan
    return backtest_models({ticker: closes}, models, config, progress=progress)


def backtest_closes(ticker: str) -> pd.Series:
    return call(get_price_history, ticker=ticker)["close"]


def track_backtest(ticker: str, closes: pd.Series, result: BacktestResult) -> dict[str, str]:
    """Log each model's backtest as an MLflow run; returns model → link to the run's page."""
    links = log_backtests(get_settings(), ticker=ticker, series=closes, result=result, tags={"source": "dashboard"})
    load_backtest_summary.clear()
    return links
