"""Portfolio: KPIs (value, cash, P&L, TWR), holdings (add / notes / delete), the activities
ledger (record, edit, delete; CSV import with a row-by-row report, export), closed positions,
income, allocation, performance vs a benchmark and risk figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.errors import NotFoundError
from core.formatting import money, number, percent, plain_percent, signed_money
from core.portfolio.analytics import DEFAULT_BENCHMARK
from core.portfolio.holdings import add_holding, delete_holding, update_holding
from core.portfolio.schemas import StockCreate, StockUpdate
from ui.activity_forms import render_csv, render_record_form
from ui.activity_forms import render_edit_and_delete as render_activity_edits
from ui.auth import can_write, require_login
from ui.charts import allocation_pie, allocation_treemap, performance_chart, value_chart
from ui.feedback import shown_errors
from ui.ledger_views import render_activities_table, render_closed_positions, render_income, summary_figures
from ui.loaders import (
    call_as,
    database_key,
    forget_portfolio_reads,
    load_holdings,
    load_performance,
    load_portfolio_summary,
    load_returns_by_year,
    load_tickers,
)
from ui.signs import color_by_sign, numeric_signs, signed_delta
from ui.tables import readable

FLASH_KEY = "portfolio_flash"
SINCE_INCEPTION = "Since inception"
PERIODS = {
    "1 month": "1M",
    "3 months": "3M",
    "Year to date": "YTD",
    "1 year": "1Y",
    "3 years": "3Y",
    SINCE_INCEPTION: "ALL",
}
CUSTOM = "Custom dates"
EARLIEST_PERIOD_DATE = dt.date(1970, 1, 1)  # Streamlit's default would stop ten years back
EQUAL_WEIGHT = "Equal-weight universe"
BENCHMARKS = {EQUAL_WEIGHT: DEFAULT_BENCHMARK}

HOLDINGS_COLUMNS = [
    "ticker",
    "market_value",
    "unrealized_pnl",
    "day_change",
    "weight",
    "quantity",
    "last_price",
    "cost_basis",
    "realized_pnl",
    "name",
]

account = require_login("Portfolio")
key = database_key()
st.title("Portfolio")
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)


def changed(message: str) -> None:
    """After a successful change: drop cached reads, and show `message` on the next run."""
    forget_portfolio_reads()
    st.session_state[FLASH_KEY] = message.replace("$", r"\$")  # "$…$" would render as LaTeX
    st.rerun()


def points_frame(points) -> pd.DataFrame:
    rows = [p.model_dump() if hasattr(p, "model_dump") else dict(p) for p in points or []]
    return pd.DataFrame(rows, columns=["date", "value"]) if not rows else pd.DataFrame(rows)


def render_kpis() -> None:
    summary = load_portfolio_summary(key, account.id)
    value, cash, day = st.columns(3)
    value.metric("Market value", money(summary.market_value), border=True)
    cash.metric("Cash", border=True, **summary_figures(summary))
    day.metric(
        "Day change",
        signed_money(summary.day_change),
        border=True,
        **signed_delta(summary.day_change, percent(summary.day_change_pct)),
    )
    pnl, realised, twr = st.columns(3)
    pnl.metric(
        "Total P&L",
        signed_money(summary.total_pnl),
        **signed_delta(summary.unrealized_pnl, f"unrealised {signed_money(summary.unrealized_pnl)}"),
        border=True,
    )
    realised.metric(
        "Realised P&L",
        signed_money(summary.realized_pnl),
        **signed_delta(summary.realized_pnl_closed, f"closed positions {signed_money(summary.realized_pnl_closed)}"),
        border=True,
        help="Sales, dividends and fees: holdings still open plus closed positions.",
    )
    with shown_errors("compute the time-weighted return"):
        report = load_performance(key, account.id, None, None, "ALL")
        twr.metric(
            "Time-weighted return",
            plain_percent(report.twr),
            border=True,
            help="Return of the portfolio since its first transaction, independent of cash flows.",
        )
    if summary.as_of:
        st.caption(f"Valued at closing prices of {summary.as_of}.")


def render_holdings_table(holdings) -> None:
    with shown_errors("value the holdings"):
        summary = load_portfolio_summary(key, account.id)
        frame = pd.DataFrame([h.model_dump() if hasattr(h, "model_dump") else vars(h) for h in summary.holdings])
        # Sector lives on the Allocation tab and headers are short, so the table fits 1280 px.
        # Most telling first: on a 390 px phone the pinned ticker, value, P&L, day and weight
        # show, and the grid scrolls sideways to the rest (it used to stop at "Value").
        columns = HOLDINGS_COLUMNS
        shown = frame[[c for c in columns if c in frame]]
        st.dataframe(
            color_by_sign(shown, numeric_signs(shown, ["unrealized_pnl", "realized_pnl", "day_change"])),
            hide_index=True,
            width="stretch",
            column_config={
                "ticker": st.column_config.TextColumn("Ticker", width=60, pinned=True),
                "name": st.column_config.TextColumn("Name", width=130),
                "quantity": st.column_config.NumberColumn("Qty", format="%.4g", width=55),
                "last_price": st.column_config.NumberColumn("Price", format="dollar", help="Last close"),
                "market_value": st.column_config.NumberColumn("Value", format="dollar", help="Market value"),
                "cost_basis": st.column_config.NumberColumn("Cost", format="dollar", help="Cost basis"),
                "unrealized_pnl": st.column_config.NumberColumn("Unrealised", format="dollar", help="Unrealised P&L"),
                "realized_pnl": st.column_config.NumberColumn("Realised", format="dollar", help="Realised P&L"),
                "day_change": st.column_config.NumberColumn("Day", format="dollar", help="Day change"),
                "weight": st.column_config.NumberColumn("Weight", format="percent", width=65),
            },
        )
        return
    # Valuation unavailable: still show what is held.
    st.dataframe(
        readable(
            pd.DataFrame(
                [h.model_dump(include={"ticker", "quantity", "avg_cost", "currency", "opened_at"}) for h in holdings]
            ),
            {"avg_cost": "Average cost", "opened_at": "Opened"},
        ),
        hide_index=True,
        width="stretch",
    )


def render_add_form() -> None:
    with st.form("add_holding", clear_on_submit=True):
        st.markdown("**Add a holding**")
        ticker_col, qty_col, cost_col = st.columns(3)
        ticker = ticker_col.text_input(
            "Ticker", placeholder="AAPL", key="add_ticker", help="Exchange symbol, e.g. AAPL or BRK.B"
        )
        quantity = qty_col.number_input(
            "Quantity", min_value=0.0, value=0.0, step=1.0, format="%.4f", key="add_quantity"
        )
        avg_cost = cost_col.number_input("Average cost per share", min_value=0.0, value=0.0, step=1.0, key="add_cost")
        currency_col, date_col = st.columns(2)
        currency = currency_col.text_input("Currency", value="USD", max_chars=3)
        opened_at = date_col.date_input(
            "Opened on (optional)",
            value=None,
            max_value=dt.date.today(),
            help="Default: the ticker's last stored price date (it is recorded as a buy on that day).",
        )
        notes = st.text_input("Notes (optional)")
        submitted = st.form_submit_button("Add holding", type="primary")
    if submitted:
        with shown_errors("add the holding"):
            if not ticker.strip():
                st.error("Enter a ticker symbol, e.g. AAPL.")
                return
            data = StockCreate(
                ticker=ticker,
                quantity=quantity,
                avg_cost=avg_cost,
                currency=currency,
                opened_at=opened_at,
                notes=notes or None,
            )
            call_as(account.id, add_holding, data=data)
            changed(f"Added {data.quantity:g} {data.ticker} at {money(data.avg_cost)}.")


def render_edit_and_delete(holdings) -> None:
    by_label = {f"{h.ticker} ({h.quantity:g} @ {money(h.avg_cost)})": h for h in holdings}
    edit_col, delete_col = st.columns(2)
    with edit_col.expander("Edit a holding's notes"):
        choice = by_label[st.selectbox("Holding", list(by_label), key="edit_choice")]
        st.caption("Quantity and cost come from the activities: record a buy or sell, or edit an activity.")
        with st.form("edit_holding"):
            notes = st.text_input("Notes", value=choice.notes or "", key=f"edit_notes_{choice.id}")
            submitted = st.form_submit_button("Save changes")
        if submitted:
            with shown_errors("update the holding"):
                call_as(account.id, update_holding, stock_id=choice.id, data=StockUpdate(notes=notes or None))
                changed(f"Updated {choice.ticker}.")
    with delete_col.expander("Delete a holding"):
        choice = by_label[st.selectbox("Holding", list(by_label), key="delete_choice")]
        confirmed = st.checkbox(f"Yes, delete {choice.ticker} and its activities", key="delete_confirm")
        if st.button("Delete holding", disabled=not confirmed, key="delete_button"):
            with shown_errors("delete the holding"):
                call_as(account.id, delete_holding, stock_id=choice.id)
                changed(f"Deleted {choice.ticker}.")


def render_allocation() -> None:
    summary = load_portfolio_summary(key, account.id)
    frame = pd.DataFrame([h.model_dump() if hasattr(h, "model_dump") else vars(h) for h in summary.holdings])
    if frame.empty or not frame["market_value"].fillna(0).gt(0).any():
        st.info("No priced holdings yet: allocation appears once your holdings have prices.")
        return
    by_holding, by_sector = st.columns(2)
    by_holding.plotly_chart(allocation_pie(frame["ticker"], frame["market_value"], title="By holding"), width="stretch")
    by_sector.plotly_chart(allocation_treemap(frame, title="By sector"), width="stretch")
    sectors = pd.DataFrame(
        sorted(summary.allocation_by_sector.items(), key=lambda kv: -kv[1]), columns=["Sector", "Weight"]
    )
    st.dataframe(sectors, hide_index=True, column_config={"Weight": st.column_config.NumberColumn(format="percent")})


def choose_period(years: list[int]) -> tuple[str | None, dt.date | None, dt.date | None]:
    """The period picked: a name (core.portfolio.periods), or custom start and end dates."""
    labels = [*PERIODS, *(str(year) for year in sorted(years, reverse=True)), CUSTOM]
    choice = st.selectbox("Period", labels, index=list(PERIODS).index(SINCE_INCEPTION), key="period")
    if choice != CUSTOM:
        return PERIODS.get(choice, choice), None, None
    start_col, end_col = st.columns(2)
    bounds = {"min_value": EARLIEST_PERIOD_DATE, "max_value": dt.date.today(), "value": None}
    start = start_col.date_input("From (first session on or after)", key="period_start", **bounds)
    end = end_col.date_input("To (last session on or before)", key="period_end", **bounds)
    return None, start, end


def render_year_table(by_year) -> None:
    rows = [
        {
            "Year": str(row.year),
            "From": row.start,
            "To": row.end,
            "Portfolio": row.twr,
            "Benchmark": row.benchmark_twr,
            "Difference": row.twr - row.benchmark_twr if row.benchmark_twr is not None else None,
        }
        for row in by_year.years
    ]
    st.markdown("**Returns by year** (time-weighted; the benchmark over the same sessions)")
    frame = pd.DataFrame(rows)
    st.dataframe(
        color_by_sign(frame, numeric_signs(frame, ["Portfolio", "Benchmark", "Difference"])),
        hide_index=True,
        column_config={
            name: st.column_config.NumberColumn(format="percent") for name in ("Portfolio", "Benchmark", "Difference")
        },
    )


def render_performance() -> None:
    tickers = [t.symbol for t in load_tickers(key)]
    period_col, bench_col = st.columns(2)
    benchmark = bench_col.selectbox(
        "Benchmark",
        [EQUAL_WEIGHT, *tickers],
        key="benchmark",
        help="The equal-weight index of every bundled ticker, or one ticker.",
    )
    symbol = BENCHMARKS.get(benchmark, benchmark)
    try:
        by_year = load_returns_by_year(key, account.id, symbol)
    except NotFoundError as exc:  # no benchmark prices: show the portfolio alone
        st.info(f"No benchmark comparison: {exc.message}")
        symbol = None
        by_year = load_returns_by_year(key, account.id, None)
    with period_col:
        period, start, end = choose_period([row.year for row in by_year.years])
    report = load_performance(key, account.id, symbol, start, period, end)
    growth, bench = points_frame(report.twr_series), points_frame(report.benchmark_series)
    if growth.empty:
        st.info("No performance history in this period: it starts with your first transaction.")
        return
    st.caption(
        f"From the close before {report.start} to the close of {report.end}: {report.sessions} sessions, "
        "the same for the portfolio, the benchmark and every ratio. Annualised figures count 252 sessions "
        "a year (XIRR: actual/365 days)."
    )
    st.plotly_chart(
        performance_chart(growth, bench, benchmark_name=benchmark, title="Time-weighted growth of 100 vs benchmark"),
        width="stretch",
    )
    figures = [
        ("TWR", plain_percent(report.twr)),
        ("TWR (ann.)", plain_percent(report.twr_annualised)),
        ("XIRR", plain_percent(report.xirr)),
        ("Benchmark TWR", plain_percent(report.benchmark_twr)),
        ("Beta", number(report.beta)),
        ("Volatility (ann.)", plain_percent(report.volatility)),
        ("Downside dev. (ann.)", plain_percent(report.downside_deviation)),
        ("Max drawdown", plain_percent(report.max_drawdown)),
        ("Sharpe", number(report.sharpe)),
        ("Sortino", number(report.sortino)),
    ]
    for row in (figures[:5], figures[5:]):
        for col, (label, text) in zip(st.columns(5), row, strict=True):
            col.metric(label, text)
    if by_year.years:
        render_year_table(by_year)
    value = points_frame(report.series)
    if not value.empty:
        st.plotly_chart(value_chart(value, title="Market value (includes money added and withdrawn)"), width="stretch")


def render_activities(holdings) -> None:
    if can_write(account):
        with shown_errors("show the activity form"):
            render_record_form(account.id, [h.ticker for h in holdings], changed)
    render_activities_table(account.id)
    if can_write(account):
        render_activity_edits(account.id, changed)
    with shown_errors("prepare the export"):
        render_csv(account.id, writable=can_write(account), changed=changed)


holdings = []
with shown_errors("load your holdings"):
    holdings = load_holdings(key, account.id)

if holdings:
    with shown_errors("load the portfolio figures"):
        render_kpis()

tab_holdings, tab_activities, tab_closed, tab_income, tab_allocation, tab_performance = st.tabs(
    ["Holdings", "Activities", "Closed positions", "Income", "Allocation", "Performance & risk"],
    key="tab",
    bind="query-params",
)
with tab_holdings:
    if holdings:
        render_holdings_table(holdings)
    else:
        st.info(
            "No holdings yet. Add your first one with the form below, or record activities (or import "
            "your broker's CSV) in the **Activities** tab."
        )
    if can_write(account):
        render_add_form()
        if holdings:
            render_edit_and_delete(holdings)
    else:
        st.caption("Your account is read-only (viewer); ask an admin for the analyst role to make changes.")
with tab_allocation:
    if holdings:
        with shown_errors("show the allocation"):
            render_allocation()
    else:
        st.info("Allocation charts appear once you hold something.")
with tab_performance, shown_errors("measure the performance"):
    render_performance()
with tab_activities, shown_errors("load the activities"):
    render_activities(holdings)
with tab_closed, shown_errors("load the closed positions"):
    render_closed_positions(account.id)
with tab_income, shown_errors("load the income"):
    render_income(account.id)
