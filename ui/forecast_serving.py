"""The pages' forecast flow: the forecast at once, then the skill of exactly its configuration
with a progress bar (or the stored one at once). Every call is its own short unit of work
(`core.forecasting.delivery`); the champion configuration is core's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.config import get_settings
from core.forecasting.champion import ChampionConfig, champion_config
from core.forecasting.delivery import serve_forecast, serve_skill
from core.forecasting.schemas import ForecastSkill
from core.forecasting.serving import ForecastResult
from ui.feedback import shown_errors
from ui.skill_panels import progress_reporter, render_forecast_skill


def champion() -> ChampionConfig:
    """What the pages select when the user has chosen nothing."""
    return champion_config(get_settings())


def forecast_now(
    user_id: int | None, *, progress: Callable[..., None] | None = None, record: bool = True, **request: Any
) -> ForecastResult:
    """The forecast without waiting for its skill (`skill` is the stored one, or None)."""
    return serve_forecast(get_settings(), user_id=user_id, record=record, progress=progress, **request)


@st.cache_data(ttl=3600, show_spinner="Preparing the forecast…")
def load_champion_forecast(database_url: str, ticker: str, model: str, horizon: int) -> ForecastResult:
    """The Stock page's forecast, recorded (once per champion and origin) to be scored later."""
    return forecast_now(None, ticker=ticker, model=model, horizon=horizon)


def skill_now(progress: Callable[..., None] | None = None, **request: Any) -> ForecastSkill:
    """The skill of exactly `request`'s configuration: stored, else backtested now."""
    return serve_skill(get_settings(), progress=progress, **request)


def render_skill_of(result: ForecastResult, request: dict[str, Any], *, action: str) -> None:
    """`result`'s skill: at once when known, else measured under a progress bar and kept on
    `result` (so the next rerun shows it at once)."""
    if result.skill is None:
        bar = st.progress(0.0, text="Backtesting exactly this configuration")
        with shown_errors(action):
            result.skill = skill_now(progress=progress_reporter(bar), **request)
        bar.empty()
    render_forecast_skill(result.skill)
