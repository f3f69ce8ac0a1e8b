"""Property tests of the ledger on random ledgers (hypothesis).

Pure: the average-cost replay against an independent bookkeeping identity, and the oversell
rule against a plain running count. Through the database: activities recorded in random
order are accepted exactly when no sell oversells, and realised P&L reconciles to the cent
(holdings' realised + closed positions' realised = the portfolio's realised P&L).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db.tables import TransactionType
from core.errors import InvalidInputError
from core.portfolio.activities import record_activity
from core.portfolio.analytics import summarize_portfolio
from core.portfolio.closed import list_closed_positions
from core.portfolio.positions import cash_amount, check_ledger, sort_key
from core.portfolio.schemas import ActivityCreate
from tests.factories import LedgerEntry, make_user

TICKERS = ["AAPL", "KO", "MSFT"]
FIRST_DAY = dt.date(2014, 1, 6)


cents = st.integers(min_value=1, max_value=50_000).map(lambda c: c / 100)
entries = st.builds(
    LedgerEntry,
    date=st.integers(min_value=0, max_value=700).map(lambda d: FIRST_DAY + dt.timedelta(days=d)),
    ticker=st.sampled_from(TICKERS),
    type=st.sampled_from([TransactionType.BUY, TransactionType.BUY, TransactionType.SELL, TransactionType.DIVIDEND]),
    quantity=st.integers(min_value=1, max_value=40).map(float),
    price=cents,
    fee=st.sampled_from([0.0, 1.0, 4.95]),
)
ledgers = st.lists(entries, min_size=1, max_size=25)


def oversells(ledger: list[LedgerEntry]) -> bool:
    """A plain running count per ticker, in the ledger's replay order."""
    held = dict.fromkeys(TICKERS, 0.0)
    for entry in sorted(ledger, key=sort_key):
        if entry.type == TransactionType.BUY:
            held[entry.ticker] += entry.quantity
        elif entry.type == TransactionType.SELL:
            if entry.quantity > held[entry.ticker] + 1e-9:
                return True
            held[entry.ticker] -= entry.quantity
    return False


@settings(max_examples=300, deadline=None)
@given(ledgers)
def test_replay_refuses_exactly_the_oversells(ledger):
    if oversells(ledger):
        with pytest.raises(InvalidInputError, match="cannot sell"):
            check_ledger(ledger)
    else:
        check_ledger(ledger)


@settings(max_examples=300, deadline=None)
@given(ledgers)
def test_realised_pnl_obeys_the_bookkeeping_identity(ledger):
    """Whatever the cost method: realised = money out − money in + cost still held."""
    if oversells(ledger):
        return
    positions = check_ledger(ledger)
    money_out = sum(cash_amount(e) for e in ledger if e.type in (TransactionType.SELL, TransactionType.DIVIDEND))
    money_in = sum(cash_amount(e) for e in ledger if e.type in (TransactionType.BUY, TransactionType.FEE))
    still_held = sum(p.cost_basis for p in positions.values())
    realised = sum(p.realized_pnl for p in positions.values())
    assert realised == pytest.approx(money_out - money_in + still_held, abs=1e-6)
    for ticker, position in positions.items():
        bought = sum(e.quantity for e in ledger if e.ticker == ticker and e.type == TransactionType.BUY)
        sold = sum(e.quantity for e in ledger if e.ticker == ticker and e.type == TransactionType.SELL)
        assert position.quantity == pytest.approx(bought - sold, abs=1e-9)


def _data(entry: LedgerEntry) -> ActivityCreate:
    if entry.type == TransactionType.DIVIDEND:
        return ActivityCreate(date=entry.date, ticker=entry.ticker, type=entry.type, amount=entry.price)
    return ActivityCreate(
        date=entry.date, ticker=entry.ticker, type=entry.type, quantity=entry.quantity, price=entry.price, fee=entry.fee
    )


def test_random_ledgers_through_the_services(session, load_prices):
    load_prices(*TICKERS)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.lists(entries, min_size=1, max_size=12))
    def check(ledger):
        user = make_user(session)
        accepted: list[LedgerEntry] = []
        for entry in ledger:  # in the drawn order, not by date: back-dated entries too
            would_oversell = oversells([*accepted, entry])
            try:
                record_activity(session, owner=user, data=_data(entry))
            except InvalidInputError as exc:
                assert would_oversell, exc.message
                assert "cannot sell" in exc.message
                continue
            assert not would_oversell
            accepted.append(entry)
        summary = summarize_portfolio(session, owner=user)
        closed = list_closed_positions(session, owner=user)
        held = {h.ticker for h in summary.holdings}
        assert held.isdisjoint(row.ticker for row in closed)
        total = sum(h.realized_pnl for h in summary.holdings) + sum(row.realized_pnl for row in closed)
        assert round(total, 2) == round(summary.realized_pnl, 2)

    check()
