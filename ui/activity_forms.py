"""The Portfolio page's ledger forms: record an activity, and edit or delete one.

The rules (prices, dates, oversells, cash) are core's; these widgets only collect the fields
and show core's sentence when it refuses. Defaults follow the stored prices: the date is the
ticker's last stored close (never the wall clock) and a trade's price is the close on that date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import streamlit as st

from core.chat.help_text import activity_types, spoken_list
from core.db.tables import TransactionType
from core.formatting import money
from core.portfolio.activities import delete_activity
from core.portfolio.positions import cash_amount
from core.portfolio.schemas import ActivityCreate, ActivityUpdate, activity_field_problems
from ui.feedback import shown_errors
from ui.loaders import (
    call_as,
    database_key,
    import_transactions_as,
    load_activities,
    load_close_on,
    load_tickers,
    load_transactions_csv,
    record_activity_as,
    update_activity_as,
)
from ui.skill_panels import progress_reporter

KINDS = {
    "Buy": TransactionType.BUY,
    "Sell": TransactionType.SELL,
    "Dividend": TransactionType.DIVIDEND,
    "Fee": TransactionType.FEE,
    "Deposit": TransactionType.DEPOSIT,
    "Withdrawal": TransactionType.WITHDRAWAL,
}
TRADES = {TransactionType.BUY, TransactionType.SELL}
CASH = {TransactionType.DEPOSIT, TransactionType.WITHDRAWAL}


def describe(entry: Any) -> str:
    """ "sell 5 KO on 2016-12-30 at $44.00" — what an activity did, in words."""
    kind = entry.type.value if hasattr(entry.type, "value") else str(entry.type)
    if kind in ("buy", "sell"):
        return f"{kind} {entry.quantity:g} {entry.ticker} on {entry.date} at {money(entry.price)}"
    amount = entry.amount or entry.fee or entry.price
    subject = f" {entry.ticker}" if entry.ticker else ""
    return f"{kind}{subject} of {money(amount)} on {entry.date}"


def _price_dates() -> tuple[dict[str, tuple[dt.date, dt.date]], dt.date | None]:
    ranges = {t.symbol: (t.first_date, t.last_date) for t in load_tickers(database_key()) if t.last_date}
    overall = max((last for _first, last in ranges.values()), default=None)
    return ranges, overall


def render_record_form(user_id: int, held: list[str], changed: Callable[[str], None]) -> None:
    """ "Record activity": buy (more), sell (part or all), dividend, fee, deposit, withdrawal."""
    st.markdown("**Record activity**")
    label = st.radio("Activity", list(KINDS), horizontal=True, key="activity_kind")
    kind = KINDS[label]
    ranges, overall = _price_dates()
    ticker = None
    if kind == TransactionType.SELL and held:
        ticker = st.selectbox("Ticker", held, key="activity_held_ticker")
    elif kind not in CASH:
        ticker = st.text_input("Ticker", key="activity_ticker", placeholder="AAPL").strip().upper() or None
    first, last = ranges.get(ticker, (None, overall)) if ticker else (None, overall)
    default_day = last or overall
    if ticker and ticker in ranges:
        st.caption(f"{ticker}: prices stored from {first} to {last}; the date defaults to the last one.")
    day = st.date_input("Date", value=default_day, key=f"activity_date_{ticker}_{kind.value}")
    date_note = st.empty()  # the date's problem, if any, shows right under it
    values: dict[str, Any] = {"date": day, "ticker": ticker, "type": kind}
    # No min_value: the browser would then show a typed "-5" while keeping the old value, so
    # what is recorded would differ from what is shown. Core's rules judge each field instead.
    if kind in TRADES:
        close = load_close_on(database_key(), ticker, day) if ticker and ticker in ranges and day else None
        cols = dict(zip(("quantity", "price", "fee"), st.columns(3), strict=True))
        values["quantity"] = cols["quantity"].number_input("Quantity", value=0.0, step=1.0, key="activity_quantity")
        values["price"] = cols["price"].number_input(
            "Price per share", value=float(close or 0.0), key=f"activity_price_{ticker}_{day}"
        )
        values["fee"] = cols["fee"].number_input("Fee", value=0.0, key="activity_fee")
        notes = {name: col.empty() for name, col in cols.items()}  # each field's problem, under it
    else:
        values["amount"] = st.number_input(
            "Amount", value=0.0, step=10.0, key="activity_amount", help="The total, in the ticker's currency"
        )
        notes = {"amount": st.empty()}
    problems = activity_field_problems(
        kind, day=day, **{name: values[name] for name in ("quantity", "price", "fee", "amount") if name in values}
    )
    clicked = st.button("Record activity", type="primary", key="record_activity")
    show_field_problems(problems, {"date": date_note, **notes}, submitted=clicked)
    if clicked:
        if kind not in CASH and not ticker:
            st.error("Enter a ticker symbol, e.g. AAPL.")
            return
        if problems:
            st.error("Nothing was recorded: correct the fields marked above.")
            return
        with shown_errors("record the activity"):
            entry = record_activity_as(user_id, ActivityCreate(**values))
            reset_record_form()
            changed(f"Recorded: {describe(entry)}.")


FIELD_LABELS = {"date": "Date", "quantity": "Quantity", "price": "Price", "fee": "Fee", "amount": "Amount"}


def show_field_problems(problems: dict[str, str], places: dict[str, Any], *, submitted: bool) -> None:
    """Each problem under its field. "Must be greater than 0" (what an untouched 0 gets) waits
    for a submit, so a fresh form does not open in red; a typed negative is flagged at once."""
    for name, problem in problems.items():
        if name in places and (submitted or problem != "must be greater than 0"):
            places[name].error(f"{FIELD_LABELS[name]} {problem}.")


def reset_record_form() -> None:
    """Forget every value typed into the record form, so the next run shows its defaults
    (after closing a position the form must not offer that trade again)."""
    for name in [k for k in st.session_state if str(k).startswith("activity_")]:
        del st.session_state[name]


def render_edit_and_delete(user_id: int, changed: Callable[[str], None]) -> None:
    """Change or delete one activity; core replays the whole ledger first and names the date
    of any sell (or cash balance) the change would break."""
    activities = load_activities(database_key(), user_id)
    if not activities:
        return
    by_id = {a.id: a for a in activities}

    def label(activity_id: int) -> str:
        return f"#{activity_id}: {describe(by_id[activity_id])}"

    edit_col, delete_col = st.columns(2)
    with edit_col.expander("Edit an activity"):
        choice = by_id[st.selectbox("Activity", list(by_id), format_func=label, key="edit_activity_choice")]
        with st.form("edit_activity"):
            day = st.date_input("Date", value=choice.date, key=f"edit_date_{choice.id}")
            changes: dict[str, Any] = {"date": day}
            if choice.type in TRADES:
                changes["quantity"] = st.number_input(
                    "Quantity", value=float(choice.quantity), key=f"edit_quantity_{choice.id}"
                )
                changes["price"] = st.number_input(
                    "Price per share", value=float(choice.price), key=f"edit_price_{choice.id}"
                )
                changes["fee"] = st.number_input("Fee", value=float(choice.fee), key=f"edit_fee_{choice.id}")
            else:
                # The total it moved (a dividend before withholding), whichever fields hold it.
                amount = cash_amount(choice) + (choice.fee if choice.type == TransactionType.DIVIDEND else 0.0)
                changes["amount"] = st.number_input("Amount", value=float(amount), key=f"edit_amount_{choice.id}")
            submitted = st.form_submit_button("Save activity")
        problems = activity_field_problems(choice.type, day=day, **{k: v for k, v in changes.items() if k != "date"})
        if submitted and problems:
            for name, problem in problems.items():
                st.error(f"{FIELD_LABELS[name]} {problem}.")
            st.error("Nothing was changed: correct the fields above.")
        elif submitted:
            with shown_errors("change the activity"):
                if choice.type == TransactionType.DIVIDEND:
                    changes |= {"quantity": 0.0, "price": 0.0}  # the amount is now the total
                if choice.type == TransactionType.FEE:
                    changes |= {"quantity": 0.0, "price": 0.0, "fee": 0.0}
                entry = update_activity_as(user_id, choice.id, ActivityUpdate(**changes))
                changed(f"Changed: {describe(entry)}.")
    with delete_col.expander("Delete an activity"):
        choice = by_id[st.selectbox("Activity", list(by_id), format_func=label, key="delete_activity_choice")]
        confirmed = st.checkbox("Yes, delete this activity", key="delete_activity_confirm")
        if st.button("Delete activity", disabled=not confirmed, key="delete_activity_button"):
            with shown_errors("delete the activity"):
                call_as(user_id, delete_activity, activity_id=choice.id)
                changed(f"Deleted: {describe(choice)}.")


def render_csv(user_id: int, *, writable: bool, changed: Callable[[str], None]) -> None:
    """Export the ledger, and (for writers) import a broker's CSV, all rows or none."""
    st.download_button(
        "Download transactions CSV",
        data=load_transactions_csv(database_key(), user_id),
        file_name="stockcast-transactions.csv",
        mime="text/csv",
    )
    if not writable:
        return
    upload = st.file_uploader(
        "Import transactions CSV",
        type=["csv"],
        key="transactions_upload",
        help=f"One row per activity: date, ticker, type ({spoken_list(activity_types())}), quantity, price, "
        "fee, amount. Nothing is imported if any row is invalid.",
    )
    if upload is not None and st.button("Import", type="primary", key="import_button"):
        # Then the import's own steps; a refused file leaves the bar where the import stopped.
        bar = st.progress(0.0, text=f"Reading {upload.name}…")
        with shown_errors("import the transactions"):
            result = import_transactions_as(user_id, upload.getvalue(), progress=progress_reporter(bar))
            changed(f"Imported {result.imported} transactions from {upload.name}.")
