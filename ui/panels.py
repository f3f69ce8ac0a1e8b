"""Page fragments shared by several pages: a forecast's backtested skill, realised accuracy."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.formatting import number, plain_percent

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


def render_skill(result: Any, tracked: list[Any] | None = None) -> None:
    """The forecast's source and its honest, backtested skill against the naive forecast.

    `tracked`: the ticker's latest tracked backtests, used when the result carries no skill.
    """
    source = _field(result, "source")
    version = _field(result, "model_version")
    if source == "champion":
        st.success(f"Registry champion{f' v{version}' if version else ''}")
    elif source:
        st.caption(f"Trained now ({_field(result, 'model')}); no registry champion fitted this request.")
    if notice := _field(result, "notice"):
        st.info(notice)
    skill = _field(result, "skill")
    if skill is None:
        model = _field(result, "model")
        skill = next((s for s in tracked or [] if _field(s, "model") == model), None)
    if skill is None:
        st.warning(
            "No backtest for this model on this ticker yet, so its skill against the naive forecast is "
            "unknown. Run one on the **Backtests** page before trusting this forecast."
        )
        return
    value = _field(skill, "skill_vs_naive")
    if value is not None:
        verdict = "beats" if value > 0 else "does not beat"
        st.metric(
            "Skill vs naive",
            plain_percent(value),
            help="1 − MASE(model) / MASE(naive) over rolling-origin "
            "backtest folds; above 0 means the model beats 'tomorrow = today'.",
        )
        (st.success if value > 0 else st.warning)(f"In backtests this model {verdict} the naive forecast.")
    metrics = _field(skill, "metrics") or {}
    lines = [
        ("MASE", number(_field(skill, "mase"), 3)),
        ("80% coverage", plain_percent(metrics.get("coverage_80"), 0)),
        ("95% coverage", plain_percent(metrics.get("coverage_95"), 0)),
        ("Backtest", f"{_field(skill, 'folds') or '?'} folds, horizon {_field(skill, 'horizon') or '?'}"),
        ("Data up to", _field(skill, "data_end") or "—"),
    ]
    st.caption("  \n".join(f"{label}: **{text}**" for label, text in lines))
    if url := _field(skill, "run_url"):
        st.markdown(f"[Backtest run in MLflow]({url})")


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
