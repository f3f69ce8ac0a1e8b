"""Page fragments shared by several pages: tracked backtests, realised accuracy (a forecast's own
skill: `ui.skill_panels`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

ACCURACY_COLUMNS = {
    "ticker": "Ticker",
    "model": "Model",
    "replayed": "Replayed",
    "n": "Forecasts scored",
    "mae": "MAE",
    "mape": "MAPE %",
    "mase": "MASE",
    "coverage_80": "80% coverage",
    "coverage_95": "95% coverage",
    "first_target": "First target",
    "last_target": "Last target",
}


def _field(source: Any, name: str) -> Any:
    if source is None:
        return None
    if isinstance(source, dict):
        return source.get(name)
    return getattr(source, name, None)


def forecast_history(result: Any) -> pd.Series:
    """The closes a forecast was made from (the result's history, a frame or a series)."""
    history = _field(result, "history")
    return history["close"] if isinstance(history, pd.DataFrame) else history


def render_skill_table(skills: list[Any]) -> None:
    """Latest tracked backtest per model: skill vs naive first, with links to the MLflow runs."""
    if not skills:
        st.info(
            "No tracked backtests for this ticker yet. Run one on the **Backtests** page (with "
            '"Track the runs in MLflow") to see each model\'s skill against the naive forecast here.'
        )
        return
    rows = [
        {
            "Model": _field(s, "model"),
            "Skill vs naive": _field(s, "skill_vs_naive"),
            "MASE": _field(s, "mase"),
            "Horizon": _field(s, "horizon"),
            "Folds": _field(s, "folds"),
            "Data up to": _field(s, "data_end"),
            "Run": _field(s, "run_url"),
        }
        for s in skills
    ]
    frame = pd.DataFrame(rows).sort_values("Skill vs naive", ascending=False, na_position="last")
    styled = frame.style.map(
        lambda v: (
            ""
            if pd.isna(v)
            else ("background-color: #dafbe1; font-weight: 600" if v > 0 else "background-color: #ffebe9")
        ),
        subset=["Skill vs naive"],
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={
            "Skill vs naive": st.column_config.NumberColumn(format="percent"),
            "MASE": st.column_config.NumberColumn(format="%.3f"),
            "Run": st.column_config.LinkColumn("MLflow run", display_text="open"),
        },
    )


def render_realised_accuracy(frame: pd.DataFrame | None) -> None:
    """Accuracy of past forecasts once their target dates passed (from PredictionHistory)."""
    if frame is None or frame.empty:
        st.info(
            "No matured forecasts yet. Forecasts made on the **Predictions** page are scored here once "
            "their target dates have prices (after a price refresh)."
        )
        return
    shown = frame[[c for c in ACCURACY_COLUMNS if c in frame.columns]].rename(columns=ACCURACY_COLUMNS)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "80% coverage": st.column_config.NumberColumn(format="percent"),
            "95% coverage": st.column_config.NumberColumn(format="percent"),
        },
    )
    st.caption("Coverage should be near 80% and 95%: lower means the intervals were too narrow.")
