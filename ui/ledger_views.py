"""The Portfolio page's ledger views: the activities table, closed positions, income."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.formatting import MISSING, money, signed_money
from core.portfolio.positions import cash_change
from ui.charts import income_chart
from ui.loaders import database_key, load_activities, load_closed_positions, load_income, load_portfolio_summary

MONEY = "dollar"
FREQUENCIES = {"Monthly": "M", "Yearly": "Y"}


def render_activities_table(user_id: int) -> None:
    activities = load_activities(database_key(), user_id)
    if not activities:
        st.info("No activities yet: record one above, or import your broker's CSV below.")
        return
    frame = pd.DataFrame(
        [
            {
                "id": a.id,
                "date": a.date,
                "type": a.type.value,
                "ticker": a.ticker or MISSING,  # deposits and withdrawals have none
                "quantity": a.quantity,
                "price": a.price,
                "fee": a.fee,
                "amount": a.amount,
                "cash": cash_change(a),
            }
            for a in activities
        ]
    )
    st.caption(f"{len(frame)} activities, newest first. Cash: the effect on the cash balance.")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="activities_table",
        column_config={
            "id": st.column_config.NumberColumn("Id", format="%d"),
            "date": "Date",
            "type": "Type",
            "ticker": "Ticker",
            "quantity": st.column_config.NumberColumn("Quantity", format="%.4g"),
            "price": st.column_config.NumberColumn("Price", format=MONEY),
            "fee": st.column_config.NumberColumn("Fee", format=MONEY),
            "amount": st.column_config.NumberColumn("Amount", format=MONEY),
            "cash": st.column_config.NumberColumn("Cash", format=MONEY),
        },
    )


def render_closed_positions(user_id: int) -> None:
    closed = load_closed_positions(database_key(), user_id)
    if not closed:
        st.info("No closed positions yet: a ticker appears here once it is sold down to zero.")
        return
    tickers = ", ".join(row.ticker for row in closed)
    st.markdown(f"**{len(closed)} closed position{'s' if len(closed) != 1 else ''}:** {tickers}")
    frame = pd.DataFrame([row.model_dump() for row in closed])
    columns = ["ticker", "name", "quantity_sold", "cost", "proceeds", "realized_pnl", "dividends", "fees", "opened_at"]
    st.dataframe(
        frame[[*columns, "closed_at"]],
        hide_index=True,
        width="stretch",
        key="closed_table",
        column_config={
            "ticker": "Ticker",
            "name": "Name",
            "quantity_sold": st.column_config.NumberColumn("Quantity traded", format="%.4g"),
            "cost": st.column_config.NumberColumn("Cost", format=MONEY),
            "proceeds": st.column_config.NumberColumn("Proceeds", format=MONEY),
            "realized_pnl": st.column_config.NumberColumn("Realised P&L", format=MONEY),
            "dividends": st.column_config.NumberColumn("Dividends", format=MONEY),
            "fees": st.column_config.NumberColumn("Fees", format=MONEY),
            "opened_at": "Opened",
            "closed_at": "Closed",
        },
    )
    summary = load_portfolio_summary(database_key(), user_id)
    st.caption(
        f"Realised P&L: {signed_money(summary.realized_pnl_open)} on the holdings still open and "
        f"{signed_money(summary.realized_pnl_closed)} on closed positions make the "
        f"{signed_money(summary.realized_pnl)} of the Realised P&L figure above."
    )


def render_income(user_id: int) -> None:
    label = st.radio("Per", list(FREQUENCIES), horizontal=True, key="income_freq")
    report = load_income(database_key(), user_id, FREQUENCIES[label])
    dividends, fees, commissions, net = st.columns(4)
    dividends.metric("Dividends", money(report.dividends), border=True)
    fees.metric("Fees charged", money(report.fees), border=True)
    commissions.metric("Trading commissions", money(report.commissions), border=True)
    net.metric("Net income", signed_money(report.net), border=True, help="Dividends − fees − commissions")
    if not report.periods:
        st.info("No dividends or fees recorded yet.")
        return
    frame = pd.DataFrame([p.model_dump() for p in report.periods])
    st.plotly_chart(income_chart(frame, title=f"Dividends and fees, {label.lower()}"), width="stretch")


def summary_figures(summary: Any) -> dict[str, str]:
    """The cash KPI's text and its help (cash is tracked once deposits are recorded)."""
    if summary.cash_tracked:
        return {"value": money(summary.cash), "help": "Deposits − withdrawals + sales + dividends − buys − fees."}
    return {
        "value": money(summary.cash),
        "help": "No deposits recorded: this is the net of your trades (negative = money put in). "
        "Record a deposit to track real cash.",
    }
