"""Watchlist and price alerts: tickers to follow with their day change and recent trend, and
alert rules (close above / below a price, or a one-day move of more than N %) with their
last trigger. Alerts are checked whenever prices are refreshed, or here on demand."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.db.tables import AlertKind
from core.formatting import MISSING, money, signed_money, signed_percent
from core.portfolio.alerts import (
    add_to_watchlist,
    create_alert,
    delete_alert,
    describe_rule,
    evaluate_alerts,
    remove_from_watchlist,
)
from core.portfolio.schemas import PriceAlertCreate, WatchlistItemCreate
from ui.auth import can_write, require_login
from ui.feedback import shown_errors
from ui.loaders import call_as, database_key, forget_watchlist_reads, load_alerts, load_tickers, load_watchlist
from ui.signs import color_by_sign

SPARKLINE_DAYS = 30
KIND_LABELS = {
    AlertKind.ABOVE: "Closes above a price ($)",
    AlertKind.BELOW: "Closes below a price ($)",
    AlertKind.MOVE_PCT: "Moves more than N % in a day",
}
FLASH_KEY = "watchlist_flash"

account = require_login("Watchlist")
key = database_key()
writable = can_write(account)
st.title("Watchlist & alerts")
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)


def done(message: str) -> None:
    forget_watchlist_reads()
    st.session_state[FLASH_KEY] = message.replace("$", r"\$")  # "$…$" would render as LaTeX
    st.rerun()


symbols: list[str] = []
with shown_errors("list the tickers"):
    symbols = sorted(t.symbol for t in load_tickers(key))

st.subheader("Watchlist")
with shown_errors("load your watchlist"):
    items = load_watchlist(key, account.id, SPARKLINE_DAYS)
    if not items:
        st.info("Nothing on your watchlist yet. Add a ticker below to follow its price and day change.")
    else:
        table = pd.DataFrame(
            [
                {
                    "Ticker": item.ticker,
                    "Last close": money(item.last_price),
                    "Day change": signed_money(item.day_change),
                    "Day change %": signed_percent(item.day_change_pct),
                    f"Last {SPARKLINE_DAYS} closes": item.sparkline,
                    "As of": item.last_date.isoformat() if item.last_date else MISSING,
                }
                for item in items
            ]
        )
        changes = [item.day_change for item in items]
        st.dataframe(
            color_by_sign(table, {"Day change": changes, "Day change %": changes}),
            hide_index=True,
            width="stretch",
            column_config={
                f"Last {SPARKLINE_DAYS} closes": st.column_config.LineChartColumn(width="medium"),
            },
        )
    if writable:
        watched = {item.ticker for item in items}
        add, remove = st.columns(2)
        with add.form("watch_add", border=True):
            choice = st.selectbox("Add a ticker", [s for s in symbols if s not in watched], key="watch_ticker")
            if st.form_submit_button("Add to watchlist") and choice:
                with shown_errors(f"add {choice}"):
                    call_as(account.id, add_to_watchlist, data=WatchlistItemCreate(ticker=choice))
                    done(f"{choice} is on your watchlist.")
        if watched:
            with remove.form("watch_remove", border=True):
                gone = st.selectbox("Remove a ticker", sorted(watched), key="unwatch_ticker")
                if st.form_submit_button("Remove"):
                    with shown_errors(f"remove {gone}"):
                        call_as(account.id, remove_from_watchlist, ticker=gone)
                        done(f"{gone} is off your watchlist.")

st.subheader("Price alerts")
with shown_errors("load your alerts"):
    alerts = load_alerts(key, account.id)
    if not alerts:
        st.info("No alerts yet. Add a rule below; it is checked against each new close.")
    else:
        st.dataframe(
            [
                {
                    "Ticker": alert.ticker,
                    "Rule": describe_rule(alert.kind, alert.threshold),
                    "Status": "Triggered" if alert.triggered else "Watching",
                    "Last trigger": alert.triggered_date.isoformat() if alert.triggered_date else MISSING,
                    "What happened": alert.triggered_message or "",
                }
                for alert in alerts
            ],
            hide_index=True,
            width="stretch",
            column_config={"What happened": st.column_config.TextColumn(width="large")},
        )
    if writable:
        with st.form("alert_add", border=True):
            left, middle, right = st.columns(3)
            ticker = left.selectbox("Ticker", symbols, key="alert_ticker")
            kind = middle.selectbox("Rule", list(KIND_LABELS), format_func=KIND_LABELS.get, key="alert_kind")
            threshold = right.number_input("Price or percent", min_value=0.01, value=5.0, key="alert_threshold")
            if st.form_submit_button("Add alert") and ticker:
                with shown_errors("add the alert"):
                    data = PriceAlertCreate(ticker=ticker, kind=kind, threshold=float(threshold))
                    call_as(account.id, create_alert, data=data)
                    done(f"Alert added: {ticker} · {describe_rule(kind, threshold)}.")
        check, delete = st.columns(2)
        if check.button("Check my alerts against the latest close", key="alert_check"):
            with shown_errors("check your alerts"):
                fired = call_as(account.id, evaluate_alerts)
                done(f"{len(fired)} alert(s) triggered." if fired else "No alert triggered on the latest close.")
        if alerts:
            labels = {f"{a.ticker} · {describe_rule(a.kind, a.threshold)} (#{a.id})": a.id for a in alerts}
            with delete.form("alert_delete", border=False):
                label = st.selectbox("Delete an alert", list(labels), key="alert_delete_choice")
                if st.form_submit_button("Delete alert"):
                    with shown_errors("delete the alert"):
                        call_as(account.id, delete_alert, alert_id=labels[label])
                        done("Alert deleted.")
