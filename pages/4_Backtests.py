"""Backtests: compare models by rolling-origin backtests (with progress), skill vs naive
highlighted, error by horizon and over time, realised accuracy, and links to MLflow runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.auth import require_login
from ui.charts import error_by_horizon_chart, error_over_time_chart
from ui.feedback import shown_errors
from ui.loaders import (
    backtest_closes,
    backtest_ticker,
    database_key,
    load_holdings,
    load_model_catalog,
    load_realised_accuracy,
    load_tickers,
    track_backtest,
)
from ui.panels import render_realised_accuracy

RESULT_KEY = "backtests_result"
METRICS = {
    "mase": "MASE",
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE %",
    "coverage_80": "80% cov.",
    "coverage_95": "95% cov.",
    "skill_vs_naive": "Skill vs naive",
    "dm_pvalue": "DM p-value",
    "folds": "Folds",
    "failed_folds": "Failed folds",
    "fit_seconds": "Fit s",
}
DEFAULT_MODELS = ["naive", "drift", "arima"]

account = require_login("Backtests")
key = database_key()
st.title("Backtests")
st.caption(
    "Rolling-origin backtests: each fold trains on prices up to its origin only and forecasts the next "
    "sessions. Skill vs naive = 1 − MASE(model) / MASE(naive); above 0 beats 'tomorrow = today'."
)

symbols: list[str] = []
members: list[str] = []
with shown_errors("load the tickers and models"):
    symbols = sorted(t.symbol for t in load_tickers(key))
    members = [m["name"] for m in load_model_catalog()]
if not symbols or not members:
    st.info(
        "Backtests need stored prices and the model catalog. Load prices from the **Admin** page or with "
        "`python -m core demo`."
    )
    st.stop()
held = [h.ticker for h in load_holdings(key, account.id) if h.ticker in symbols]


def highlight_skill(value: float) -> str:
    """Green where a model beats naive, red where it loses; nothing for a tie (naive itself)."""
    if pd.isna(value) or abs(value) < 1e-9:
        return ""
    return "background-color: #dafbe1; font-weight: 600" if value > 0 else "background-color: #ffebe9"


with st.form("backtest"):
    ticker_col, horizon_col, folds_col, window_col = st.columns(4)
    wanted = st.query_params.get("ticker", held[0] if held else None)  # a deep link's ticker
    index = symbols.index(wanted) if wanted in symbols else 0
    ticker = ticker_col.selectbox("Ticker", symbols, index=index, key="bt_ticker")
    st.query_params["ticker"] = ticker
    horizon = horizon_col.slider("Horizon (trading days)", 1, 30, 5, key="bt_horizon")
    folds = folds_col.slider("Folds", 2, 20, 6, key="bt_folds")
    window = window_col.selectbox(
        "Training window",
        ["expanding", "sliding"],
        key="bt_window",
        help="Sliding keeps only the last N prices in each fold.",
    )
    models = st.multiselect("Models", members, default=[m for m in DEFAULT_MODELS if m in members], key="bt_models")
    size_col, track_col = st.columns(2)
    train_size = size_col.number_input("Sliding window length (prices)", 60, 5000, 504, step=21, key="bt_train_size")
    track = track_col.checkbox("Track the runs in MLflow", value=True, key="bt_track")
    submitted = st.form_submit_button("Run backtest", type="primary")

if submitted:
    if not models:
        st.error("Choose at least one model.")
    else:
        bar = st.progress(0.0, text="Starting the backtest…")

        def report(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done} of {total} folds done")

        with shown_errors(f"backtest {ticker}"):
            closes = backtest_closes(ticker)
            result = backtest_ticker(
                ticker,
                models=models,
                horizon=horizon,
                folds=folds,
                window=window,
                train_size=int(train_size) if window == "sliding" else None,
                progress=report,
            )
            links: dict[str, str] = {}
            if track:
                with shown_errors("track the runs in MLflow"):
                    bar.progress(1.0, text="Logging the runs to MLflow…")
                    links = track_backtest(ticker, closes, result)
            st.session_state[RESULT_KEY] = {"ticker": ticker, "result": result, "links": links}
        bar.empty()

stored = st.session_state.get(RESULT_KEY)
if stored is None:
    st.info(
        "Pick a ticker and models, then press **Run backtest**. Light models (naive, drift, ARIMA) take "
        "seconds; Prophet and LSTM take longer."
    )
else:
    result, links = stored["result"], stored["links"]
    st.subheader(f"{stored['ticker']}: {result.config.folds} folds, horizon {result.config.horizon}")
    summary = result.summary().drop(columns=["ticker"]).set_index("model")
    table = summary[[c for c in METRICS if c in summary.columns]].apply(pd.to_numeric, errors="coerce")
    styled = table.style.map(highlight_skill, subset=["skill_vs_naive"]).format(
        {
            "skill_vs_naive": "{:+.1%}",
            "coverage_80": "{:.0%}",
            "coverage_95": "{:.0%}",
            "dm_pvalue": "{:.3f}",
            "mase": "{:.3f}",
            "mae": "{:.2f}",
            "rmse": "{:.2f}",
            "mape": "{:.2f}",
            "fit_seconds": "{:.2f}",
        },
        na_rep="—",
    )
    st.dataframe(styled, width="stretch", column_config={k: v for k, v in METRICS.items()})
    best = table["skill_vs_naive"].idxmax() if table["skill_vs_naive"].notna().any() else None
    if best is not None and table.loc[best, "skill_vs_naive"] > 0:
        st.success(f"Best: **{best}**, {table.loc[best, 'skill_vs_naive']:+.1%} skill vs naive.")
    else:
        st.warning(
            "No model beat the naive forecast on these folds: treat any forecast of this ticker as noise "
            "around today's price."
        )
    failed = result.folds[result.folds["error"].notna()]
    if not failed.empty:
        with st.expander(f"{len(failed)} folds failed"):
            st.dataframe(failed[["model", "fold", "error"]], hide_index=True, width="stretch")
    metric = st.radio("Error metric", ["mase", "mae", "mape"], horizontal=True, key="bt_metric")
    horizon_col, time_col = st.columns(2)
    horizon_col.plotly_chart(
        error_by_horizon_chart(result.by_step(), metric=metric, title="Error by horizon"), width="stretch"
    )
    by_fold = result.by_fold().merge(
        result.folds[["ticker", "model", "fold", "origin"]], on=["ticker", "model", "fold"], how="left"
    )
    time_col.plotly_chart(
        error_over_time_chart(by_fold, metric=metric, title="Error over time (per fold)"), width="stretch"
    )
    if links:
        st.markdown("**MLflow runs:** " + " · ".join(f"[{model}]({url})" for model, url in links.items()))

st.divider()
st.subheader("Realised accuracy")
st.caption("How the forecasts people made on the Predictions page did once the prices came in.")
with shown_errors("load the realised accuracy"):
    render_realised_accuracy(load_realised_accuracy(key, stored["ticker"] if stored else None))
