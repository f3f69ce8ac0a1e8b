"""Stock: candlesticks with volume and moving averages, key statistics, the latest forecast
with the skill of exactly its model and horizon, and the realised accuracy of past forecasts."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.formatting import money, number, percent, plain_percent
from ui.auth import require_login
from ui.charts import fan_chart, price_chart
from ui.feedback import shown_errors
from ui.forecast_serving import champion, load_champion_forecast, render_skill_of
from ui.loaders import (
    database_key,
    load_holdings,
    load_model_catalog,
    load_prices,
    load_realised_accuracy,
    load_ticker_statistics,
    load_tickers,
)
from ui.panels import forecast_history, render_realised_accuracy
from ui.signs import signed_delta
from ui.skill_panels import render_member_weights, render_source

PERIODS = {"3 months": 91, "6 months": 182, "1 year": 365, "2 years": 730, "All": None}
MOVING_AVERAGES = [20, 50, 100, 200]
CHAMPION = champion()  # the default model and horizon: the registry champion's configuration

account = require_login("Stock")
key = database_key()
st.title("Stock")

symbols: list[str] = []
with shown_errors("list the tickers"):
    tickers = {t.symbol: t for t in load_tickers(key)}
    symbols = sorted(tickers)
if not symbols:
    st.info(
        "No prices stored yet. An admin can load them from the **Admin** page (refresh prices), "
        "or run `python -m core demo` to load the bundled prices."
    )
    st.stop()

held = [h.ticker for h in load_holdings(key, account.id) if h.ticker in tickers]
wanted = st.query_params.get("ticker", held[0] if held else symbols[0])
symbol = st.selectbox(
    "Ticker",
    symbols,
    index=symbols.index(wanted) if wanted in symbols else 0,
    format_func=lambda s: f"{s} · {tickers[s].name or ''}",
    key="stock_ticker",
)
st.query_params["ticker"] = symbol
info = tickers[symbol]
st.caption(" · ".join(part for part in (info.name, info.sector, info.currency) if part))

with shown_errors(f"show {symbol}'s prices"):
    period_col, ma_col = st.columns([2, 3])
    period = period_col.radio("Period", list(PERIODS), index=2, horizontal=True, key="stock_period")
    averages = ma_col.multiselect("Moving averages", MOVING_AVERAGES, default=[20, 50], key="stock_mas")
    days = PERIODS[period]
    prices = load_prices(key, symbol)
    # Periods count back from the last stored price, so old bundled data still shows.
    first_shown = prices.index.min() if days is None else prices.index.max() - dt.timedelta(days=days)
    st.plotly_chart(
        price_chart(prices, moving_averages=averages, start=first_shown, title=f"{symbol} daily prices"),
        width="stretch",
    )

st.subheader("Key statistics")
with shown_errors("compute the key statistics"):
    stats = load_ticker_statistics(key, symbol)
    row1 = st.columns(4)
    row1[0].metric(
        "Last close", money(stats.last_close), **signed_delta(stats.day_change_pct, percent(stats.day_change_pct))
    )
    row1[1].metric("52-week range", f"{number(stats.low_52w)} – {number(stats.high_52w)}")
    row1[2].metric("1-year return", plain_percent(stats.return_1y))
    row1[3].metric("Volatility (ann.)", plain_percent(stats.volatility))
    st.caption(f"As of {stats.last_date}; average daily volume {number(stats.avg_volume, 0)}.")

st.subheader("Latest forecast")
with shown_errors(f"forecast {symbol}"):
    names = [m["name"] for m in load_model_catalog()]
    model = st.selectbox(
        "Model",
        names,
        index=names.index(CHAMPION.model) if CHAMPION.model in names else 0,
        key="stock_model",
        help="The registry's champion is used when one is registered (the retrain job registers them); "
        "otherwise the model is trained now. Its skill follows the forecast.",
    )
    result = load_champion_forecast(key, symbol, model, CHAMPION.horizon)
    chart_col, skill_col = st.columns([3, 1])
    title = f"{symbol}: next {CHAMPION.horizon} sessions ({result.model})"
    figure = fan_chart(forecast_history(result), result.frame, title=title, overlays=result.members)
    chart_col.plotly_chart(figure, width="stretch")
    with skill_col:
        render_source(result)
        request = {"ticker": symbol, "model": model, "horizon": CHAMPION.horizon}
        render_skill_of(result, request, action=f"measure the skill of {result.model} on {symbol}")
    render_member_weights([("default weights", result)])

st.subheader("Realised accuracy")
with shown_errors("load the realised accuracy"):
    render_realised_accuracy(load_realised_accuracy(key, account.id, symbol))
