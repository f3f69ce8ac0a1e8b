"""The Backtests page's "Realised accuracy over time" section: rolling MASE and interval
coverage by month, per model and for the ensemble, of the replayed (walk-forward) forecasts
or of those people were shown, with a link to the MLflow monitoring experiment."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui.charts import realised_accuracy_chart
from ui.feedback import shown_errors
from ui.loaders import load_experiment_url, load_realised_by_month

ALL_TICKERS = "All tickers"
SOURCES = {"Replayed (walk-forward as if live)": True, "Shown live": False, "Both": None}
MONTHLY_LABELS = {
    "month": "Month",
    "model": "Model",
    "n": "Forecasts scored",
    "tickers": "Tickers",
    "mase": "MASE",
    "coverage_80": "80% coverage",
    "coverage_95": "95% coverage",
}


def different_periods_note(spans: dict[str, tuple[Any, Any]]) -> str | None:
    """A sentence when the models' (first, last) dates differ, since their figures then cover
    different periods; None when they all cover the same one."""
    if len(set(spans.values())) <= 1:
        return None
    listed = "; ".join(f"{model} {first} to {last}" for model, (first, last) in spans.items())
    return f"These models were scored over different periods, so their figures are not strictly comparable: {listed}."


def render_accuracy_over_time(database_key: str, user_id: int, symbols: list[str]) -> pd.DataFrame | None:
    """Draw the section; returns the figures drawn (None when there are none)."""
    st.subheader("Realised accuracy over time")
    st.caption(
        "Every forecast scored against what happened, by month of the target date. The replay walks forward "
        "over the stored prices as if the app had been live: at each weekly origin it forecasts from the prices "
        "up to that day only. A model did better than 'tomorrow = today' when its MASE line runs below naive's "
        "(not below 1: naive's multi-day MASE is above 1); coverage should sit on the dotted 80% and 95% lines."
    )
    source_col, ticker_col, window_col = st.columns(3)
    source = source_col.selectbox("Forecasts", list(SOURCES), key="acc_source")
    ticker = ticker_col.selectbox("Ticker", [ALL_TICKERS, *symbols], key="acc_ticker")
    window = window_col.slider("Rolling window (months)", 1, 6, 3, key="acc_window")
    with shown_errors("link to MLflow"):  # the experiment exists before anything is scored
        st.markdown(f"[Monitoring experiment in MLflow]({load_experiment_url('monitoring')})")
    frame = None
    with shown_errors("load the realised accuracy over time"):
        frame = load_realised_by_month(
            database_key, user_id, None if ticker == ALL_TICKERS else ticker, SOURCES[source], window
        )
    if frame is None or frame.empty:
        st.info(
            "Nothing scored yet. Run the replay (`python -m core replay`, or **Replay** on the Admin page) to "
            "score a year of walk-forward forecasts on the stored prices."
        )
        return None
    scope = "all tickers pooled" if ticker == ALL_TICKERS else ticker
    title = f"Realised accuracy, {scope}, trailing {window} month{'s' if window > 1 else ''}"
    st.plotly_chart(realised_accuracy_chart(frame, title=title), width="stretch", key="acc_chart")
    months = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
    spans = {model: (group.min(), group.max()) for model, group in months.groupby(frame["model"])}
    if note := different_periods_note(spans):
        st.warning(note)
    with st.expander("Figures by month"):
        shown = frame[list(MONTHLY_LABELS)].rename(columns=MONTHLY_LABELS)
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "MASE": st.column_config.NumberColumn(format="%.3f"),
                "80% coverage": st.column_config.NumberColumn(format="percent"),
                "95% coverage": st.column_config.NumberColumn(format="percent"),
            },
        )
    return frame
