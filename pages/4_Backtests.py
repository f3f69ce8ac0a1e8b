"""Backtests: compare models by rolling-origin backtests (with progress), skill vs naive
highlighted, error by horizon and over time, realised accuracy, and links to MLflow runs."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.forecasting.backtest import DEFAULT_FOLDS
from core.forecasting.report import origin_text
from core.forecasting.scores import interval_verdicts
from core.forecasting.significance import SkillVerdict
from core.formatting import MISSING, number, plain_percent, signed_percent
from ui.accuracy import different_periods_note, render_accuracy_over_time
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
from ui.tables import readable

RESULT_KEY = "backtests_result"
METRICS = {
    "mase": "MASE",
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE %",
    "coverage_80": "80% cov.",
    "coverage_95": "95% cov.",
    "relative_width_80": "80% width",
    "winkler_80": "Winkler 80",
    "winkler_95": "Winkler 95",
    "pinball": "Pinball",
    "skill_vs_naive": "Skill vs naive",
    "dm_pvalue": "DM p-value",
    "verdict": "Verdict",
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
    "sessions; the origins spread over at least a year."
)
with st.expander("How to read the figures"):
    st.markdown(
        "- **MASE** is the mean absolute error divided by naive's mean one-step error on the training prices; "
        "naive's own MASE is shown beside each model (it is above 1 for horizons over one day), and beating "
        "naive means a lower MASE than that.\n"
        "- **Skill vs naive** = 1 − MASE(model) / MASE(naive) on the same folds: +5% means errors 5% smaller "
        "than naive's, a negative skill means larger.\n"
        "- **DM p** is the Diebold–Mariano p-value of the hypothesis that the model and naive are equally "
        "accurate; only below 0.05 is the skill more than chance. It is — where no test is possible: for naive "
        "itself, without naive in the run, or with fewer than 3 common forecasts or identical errors.\n"
        "- **Winkler 80 / 95** score each interval by its width plus a penalty for every price outside it, "
        "scaled like MASE; lower is better, so a narrow interval that misses scores worse than a wider one that "
        "holds."
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


def highlight_verdict(verdict: str) -> str:
    """Green where a model beats naive significantly, red where it is significantly worse."""
    if verdict == "beats naive":
        return "background-color: #dafbe1; font-weight: 600"
    return "background-color: #ffebe9" if verdict == "worse than naive" else ""


def verdict_of(row: pd.Series) -> SkillVerdict:
    def known(value: float) -> float | None:
        return None if pd.isna(value) or not math.isfinite(value) else float(value)

    return SkillVerdict(skill=known(row["skill_vs_naive"]), p_value=known(row["dm_pvalue"]), n_folds=int(row["folds"]))


FORMATS = {
    "skill_vs_naive": lambda v: signed_percent(v, 1),
    "coverage_80": lambda v: plain_percent(v, 0),
    "coverage_95": lambda v: plain_percent(v, 0),
    "relative_width_80": lambda v: plain_percent(v, 1),
    "dm_pvalue": lambda v: number(v, 3),
    "mase": lambda v: number(v, 3),
    "mae": lambda v: number(v, 2),
    "rmse": lambda v: number(v, 2),
    "mape": lambda v: number(v, 2),
    "winkler_80": lambda v: number(v, 2),
    "winkler_95": lambda v: number(v, 2),
    "pinball": lambda v: number(v, 3),
    "fit_seconds": lambda v: number(v, 2),
}


# The table shows these; the others are under "All figures" so the table fits the page.
MAIN_COLUMNS = ["mase", "naive_mase", "skill_vs_naive", "dm_pvalue", "verdict", "coverage_80", "winkler_80", "folds"]
COLUMN_HELP = {
    "mase": "Mean absolute error ÷ naive's in-sample one-step error; compare with naive's MASE beside it.",
    "naive_mase": "Naive's own MASE on the same folds: a model beats naive with a lower MASE than this.",
    "skill_vs_naive": "1 − MASE / naive's MASE: positive = smaller errors than naive.",
    "dm_pvalue": "Diebold–Mariano p-value against naive; — where no test is possible (naive itself, no naive in "
    "the run, fewer than 3 common forecasts or identical errors).",
    "winkler_80": "Width of the 80% interval plus a penalty for each miss, scaled like MASE; lower is better.",
    "winkler_95": "As Winkler 80, for the 95% interval.",
}


def render_results_table(table: pd.DataFrame) -> None:
    """The main figures in a table that fits the page; every figure in an expander."""
    labels = METRICS | {"naive_mase": "Naive MASE"}
    formats = FORMATS | {"naive_mase": FORMATS["mase"]}

    def show(columns: list[str]) -> None:
        shown = table[[c for c in columns if c in table.columns]]
        styled = shown.style.format({k: v for k, v in formats.items() if k in shown}, na_rep=MISSING)
        if "verdict" in shown:
            styled = styled.map(highlight_verdict, subset=["verdict"])
        config = {"model": st.column_config.TextColumn("Model", pinned=True)} | {
            c: st.column_config.Column(labels.get(c, c), help=COLUMN_HELP.get(c)) for c in shown.columns
        }
        st.dataframe(styled, width="stretch", column_config=config)

    show(MAIN_COLUMNS)
    with st.expander("All figures"):
        show(list(dict.fromkeys(["mase", "naive_mase", *METRICS])))


def render_period_note(summary: pd.DataFrame) -> None:
    """Say so when the models' origins do not cover the same dates (a model failed some folds
    or needed more history), since their figures then compare different periods."""
    if not {"first_origin", "last_origin"} <= set(summary.columns):
        return
    spans = {
        model: (pd.Timestamp(row["first_origin"]).date(), pd.Timestamp(row["last_origin"]).date())
        for model, row in summary.iterrows()
        if pd.notna(row["first_origin"])
    }
    if note := different_periods_note(spans):
        st.warning(note)


with st.form("backtest"):
    ticker_col, horizon_col, folds_col, window_col = st.columns(4)
    wanted = st.query_params.get("ticker", held[0] if held else None)  # a deep link's ticker
    index = symbols.index(wanted) if wanted in symbols else 0
    ticker = ticker_col.selectbox("Ticker", symbols, index=index, key="bt_ticker")
    st.query_params["ticker"] = ticker
    horizon = horizon_col.slider("Horizon (trading days)", 1, 30, 5, key="bt_horizon")
    folds = folds_col.slider(
        "Folds", 2, 60, DEFAULT_FOLDS, key="bt_folds", help="Origins, spread evenly over at least a year."
    )
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
    st.caption(f"Origins: {origin_text(result)}.")
    summary = result.summary().drop(columns=["ticker"]).set_index("model")
    numeric = [c for c in METRICS if c in summary.columns and c != "verdict"]
    table = summary[numeric].apply(pd.to_numeric, errors="coerce")
    table["verdict"] = summary["verdict"]
    if "naive" in table.index:  # the figure to beat, on every row
        table.insert(1, "naive_mase", table.loc["naive", "mase"])
    render_results_table(table)
    render_period_note(summary)
    verdicts = {model: verdict_of(row) for model, row in table.iterrows() if model != "naive"}
    winners = {model: v for model, v in verdicts.items() if v.beats_naive}
    if winners:
        best = max(winners, key=lambda model: winners[model].skill)
        st.success(f"Best: **{best}**, {winners[best].text()}.")
    else:
        st.warning(
            "No model beats naive significantly (Diebold–Mariano p < 0.05) on these folds: treat any forecast "
            "of this ticker as noise around today's price."
        )
        if verdicts:
            st.caption(" · ".join(f"{model}: {v.text()}" for model, v in verdicts.items()))
    interval = interval_verdicts(result)
    if interval:
        st.caption(
            "Intervals against naive's (Winkler 80 + 95 on the same points): "
            + " · ".join(f"{model}: {v.text()}" for model, v in interval.items())
        )
    failed = result.folds[result.folds["error"].notna()]
    if not failed.empty:
        with st.expander(f"{len(failed)} folds failed"):
            st.dataframe(readable(failed[["model", "fold", "error"]]), hide_index=True, width="stretch")
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
    render_realised_accuracy(load_realised_accuracy(key, account.id, stored["ticker"] if stored else None))

st.divider()
render_accuracy_over_time(key, account.id, symbols)
