"""Stockcast's Streamlit home page: the login gate, then an overview of the user's portfolio.

Run with `streamlit run app.py`; the other pages live in `pages/` (Streamlit's file-based
multipage apps) and each one runs on its own behind the same login gate.
"""

from __future__ import annotations

import streamlit as st

from core.formatting import money, percent, signed_money
from ui.auth import require_login
from ui.feedback import shown_errors
from ui.loaders import database_key, load_alerts, load_holdings, load_portfolio_summary
from ui.signs import signed_delta

RECENT_TRIGGERS = 5


def render_overview(holding_count: int) -> None:
    value, day, pnl, count = st.columns(4)
    count.metric("Holdings", holding_count, border=True)
    summary = load_portfolio_summary(database_key(), account.id)
    value.metric("Market value", money(summary.market_value), border=True)
    day.metric(
        "Day change",
        signed_money(summary.day_change),
        border=True,
        **signed_delta(summary.day_change, percent(summary.day_change_pct)),
    )
    pnl.metric("Total P&L", signed_money(summary.total_pnl), border=True)
    if summary.as_of:
        st.caption(f"Prices as of {summary.as_of}.")
    top = sorted(summary.holdings, key=lambda h: h.market_value or 0, reverse=True)[:5]
    st.subheader("Largest holdings")
    st.dataframe(
        [
            {
                "Ticker": h.ticker,
                "Name": h.name or "",
                "Value": h.market_value,
                "Weight": h.weight,
                "Unrealised P&L": h.unrealized_pnl,
            }
            for h in top
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "Value": st.column_config.NumberColumn(format="dollar"),
            "Weight": st.column_config.NumberColumn(format="percent"),
            "Unrealised P&L": st.column_config.NumberColumn(format="dollar"),
        },
    )


def render_triggered_alerts() -> None:
    """The newest alerts that fired (their owner's only), with what happened."""
    fired = sorted(load_alerts(database_key(), account.id, True), key=lambda a: (a.triggered_at, a.id), reverse=True)
    if not fired:
        return
    st.subheader("Triggered alerts")
    for alert in fired[:RECENT_TRIGGERS]:
        message = (alert.triggered_message or "").replace("$", r"\$")  # "$…$" would render as LaTeX
        st.warning(f"**{alert.ticker}** · {message}", icon="🔔")
    st.page_link("pages/7_Watchlist.py", label=f"All alerts ({len(fired)} triggered) on Watchlist")


account = require_login()
st.title(f"Welcome, {account.display_name}")
st.caption("Your portfolio at a glance. Use the pages in the sidebar for details, forecasts and backtests.")

with shown_errors("load your triggered alerts"):
    render_triggered_alerts()

with shown_errors("load your portfolio overview"):
    holdings = load_holdings(database_key(), account.id)
    if not holdings:
        st.info(
            "Your portfolio is empty. Open **Portfolio** in the sidebar to add a holding with the form, "
            "or import your broker's transactions CSV there."
        )
        st.page_link("pages/1_Portfolio.py", label="Go to Portfolio")
    else:
        render_overview(len(holdings))

st.divider()
left, middle, right = st.columns(3)
left.page_link("pages/1_Portfolio.py", label="Portfolio: holdings, allocation, performance")
middle.page_link("pages/3_Predictions.py", label="Predictions: what-if forecasts")
right.page_link("pages/4_Backtests.py", label="Backtests: how good are the models?")
