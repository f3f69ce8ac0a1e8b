"""Predictions: quick what-if forecasts (ticker, horizon, training window, model set, ensemble
weights) as a fan chart with the members' own forecasts, the skill vs naive of exactly that
configuration (default and hand weights side by side), and the portfolio projection."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.formatting import money, number, plain_percent
from ui.auth import require_login
from ui.charts import fan_chart
from ui.feedback import shown_errors
from ui.forecast_serving import champion, forecast_now, render_skill_of
from ui.loaders import (
    database_key,
    load_holdings,
    load_model_catalog,
    load_tickers,
    project_holdings,
)
from ui.panels import forecast_history
from ui.skill_panels import forecast_table, progress_reporter, render_member_weights, render_source

RESULT_KEY = "predictions_result"
DEFAULT_KEY = "predictions_default_weights"  # the same request with default weights, beside hand weights
REQUEST_KEY = "predictions_requests"  # each shown forecast's request, to measure its skill
PROJECTION_KEY = "predictions_projection"
WINDOWS = {"All history": None, "Last 3 years": 756, "Last 2 years": 504, "Last year": 252}
CHAMPION = champion()  # the default selection: the registry champion's configuration

account = require_login("Predictions")
key = database_key()
st.title("Predictions")
st.caption(
    "What-if forecasts. Every forecast is shown with its backtested skill against the naive forecast "
    "('tomorrow = today'): a model that does not beat it is not worth acting on."
)

symbols: list[str] = []
catalog: list[dict] = []
with shown_errors("load the tickers and models"):
    symbols = sorted(t.symbol for t in load_tickers(key))
    catalog = load_model_catalog()
if not symbols or not catalog:
    st.info(
        "Forecasts need stored prices and the model catalog. Load prices from the **Admin** page "
        "(refresh prices) or with `python -m core demo`."
    )
    st.stop()

names = [m["name"] for m in catalog]
members = [n for n in names if n != "ensemble"]
held = [h.ticker for h in load_holdings(key, account.id) if h.ticker in symbols]

# Not a st.form: the weight inputs follow the models chosen, which a form would only learn on submit.
with st.container(border=True):
    ticker_col, horizon_col, window_col = st.columns(3)
    default_ticker = st.query_params.get("ticker", held[0] if held else symbols[0])  # a deep link's ticker
    default_ticker = default_ticker if default_ticker in symbols else symbols[0]
    ticker = ticker_col.selectbox("Ticker", symbols, index=symbols.index(default_ticker), key="pred_ticker")
    st.query_params["ticker"] = ticker
    horizon = horizon_col.slider("Horizon (trading days)", 1, 60, CHAMPION.horizon, key="pred_horizon")
    window = window_col.selectbox("Training window", list(WINDOWS), key="pred_window")
    chosen = st.multiselect(
        "Models (two or more make an ensemble)",
        members,
        default=[m for m in CHAMPION.members if m in members] or members[:1],
        key="pred_models",
    )
    manual = len(chosen) > 1 and st.checkbox(
        "Set the ensemble weights by hand (default: inverse backtest error of each model)", key="pred_manual_weights"
    )
    weights: dict[str, float] = {}
    if manual:  # one input per chosen model, none for the others
        for m, col in zip(chosen, st.columns(len(chosen)), strict=True):
            weights[m] = col.number_input(
                f"Weight: {m}", min_value=0.0, max_value=1.0, value=1.0, step=0.1, key=f"pred_weight_{m}"
            )
    submitted = st.button("Forecast", type="primary", key="pred_submit")

if submitted:
    if not chosen:
        st.error("Choose at least one model.")
    else:
        single = len(chosen) == 1
        options = {} if single else {"models": chosen}
        if WINDOWS[window]:
            options["window"] = WINDOWS[window]
        hand = {m: weights[m] for m in chosen} if manual and not single else None
        model = chosen[0] if single else "ensemble"
        st.session_state.pop(RESULT_KEY, None)
        st.session_state.pop(DEFAULT_KEY, None)
        request = {"ticker": ticker, "horizon": horizon, "model": model, **options}
        hand_request = {**request, "weights": hand} if hand else request
        # The forecast first; its skill is measured below, under the chart, with its own bar.
        with st.status(f"Forecasting {ticker} {horizon} sessions ahead…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")
            with shown_errors(f"forecast {ticker}"):
                made = forecast_now(account.id, progress=progress_reporter(bar), **hand_request)
                if hand:
                    # The same members, window and horizon with default weights, for comparison.
                    st.session_state[DEFAULT_KEY] = forecast_now(
                        account.id, record=False, progress=progress_reporter(bar), **request
                    )
                st.session_state[RESULT_KEY] = made
                st.session_state[REQUEST_KEY] = {"result": hand_request, "default": request}
                status.update(label="Forecast ready", state="complete", expanded=False)
            if RESULT_KEY not in st.session_state:
                status.update(label="Forecast failed", state="error", expanded=True)

result = st.session_state.get(RESULT_KEY)
default = st.session_state.get(DEFAULT_KEY)
if result is None:
    st.info(
        "Choose a ticker, horizon and models, then press **Forecast**. The registry's champion is used "
        "when it fits your request; otherwise the models are trained on the spot. Each forecast is "
        "backtested in exactly its configuration (models, weights, window, horizon) to show its skill."
    )
else:
    overlays = {name: frame for name, frame in result.members.items()}
    if default is not None:
        overlays["ensemble, default weights"] = default.frame
    title = f"{result.ticker}: {result.model} forecast" + (", your weights" if default is not None else "")
    st.plotly_chart(fan_chart(forecast_history(result), result.frame, title=title, overlays=overlays), width="stretch")
    render_source(result)
    requests = st.session_state.get(REQUEST_KEY, {})
    shown = (
        [("your weights", result), ("default weights", default)]
        if default is not None
        else [("default weights", result)]
    )
    asked = [requests.get("result"), requests.get("default")]
    for column, (label, item), request in zip(st.columns(len(shown)), shown, asked, strict=False):
        with column:
            st.markdown(f"**Skill of the forecast, {label}**" if default is not None else "**Skill of this forecast**")
            render_skill_of(item, request or {}, action=f"measure the skill of the {label} forecast")
    render_member_weights(shown)
    with st.expander("Forecast table"):
        st.dataframe(forecast_table(result.frame), hide_index=True, width="stretch")

st.divider()
st.subheader("Portfolio projection")
if not held:
    st.info("Add holdings on the **Portfolio** page to project your portfolio's value.")
else:
    proj_col, conf_col, model_col, button_col = st.columns([2, 2, 2, 1])
    proj_horizon = proj_col.slider("Projection horizon (trading days)", 1, 60, 20, key="proj_horizon")
    confidence = conf_col.select_slider("VaR confidence", [0.90, 0.95, 0.99], value=0.95, key="proj_confidence")
    proj_model = model_col.selectbox(
        "Model per holding", members, index=members.index("drift") if "drift" in members else 0, key="proj_model"
    )
    if button_col.button("Project", key="proj_button"):
        # One step per holding forecast (core's progress), then the simulation.
        bar = st.progress(0.0, text="Forecasting every holding and simulating the portfolio…")
        with shown_errors("project the portfolio"):
            st.session_state[PROJECTION_KEY] = project_holdings(
                account.id,
                horizon=proj_horizon,
                confidence=confidence,
                model=proj_model,
                progress=progress_reporter(bar),
            )
    projection = st.session_state.get(PROJECTION_KEY)
    if projection is not None:
        cols = st.columns(4)
        cols[0].metric("Value today", money(projection.current_value))
        cols[1].metric("Median at horizon", money(projection.quantiles.get(0.5)))
        cols[2].metric(
            f"VaR {plain_percent(projection.confidence, 0)}",
            money(projection.value_at_risk),
            help="The loss not exceeded with this confidence over the horizon.",
        )
        cols[3].metric(
            f"Expected shortfall {plain_percent(projection.confidence, 0)}",
            money(projection.expected_shortfall),
            help="The average loss in the worst cases beyond the VaR.",
        )
        quantiles = pd.DataFrame(
            {
                "Quantile": [plain_percent(q, 0) for q in projection.quantiles],
                "Value": [money(v) for v in projection.quantiles.values()],
            }
        )
        st.dataframe(quantiles, hide_index=True)
        st.caption(f"{number(projection.paths, 0)} simulated paths, {number(projection.horizon, 0)} sessions ahead.")
