"""The ledger as the figures read it (core.portfolio.ledger_rows): the numbers crossing the
database as text come back as the very floats stored, each row's columns together."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select

from core.db.tables import Transaction
from core.portfolio.ledger_rows import read_ledger
from tests.factories import make_user

# Whole numbers (the integer path on SQLite) up to and past 2**63, and floats whose shortest
# text has 15, 16 or 17 digits, a subnormal and a huge one (the 17-digit path).
AWKWARD = [
    0.0,
    1.0,
    7.0,
    2.0**53,
    2.0**53 + 2,
    2.0**62,
    2.0**63,
    1e300,
    0.1,
    0.1 + 0.2,
    1 / 3,
    170.42,
    123456.789012345,
    5e-324,
    2.2250738585072014e-308,
    9007199254740993.0,
]


def test_read_ledger_gives_back_the_stored_floats_bit_for_bit(session):
    owner = make_user(session)
    first = dt.date(2020, 1, 2)
    for index, number in enumerate(AWKWARD):
        session.add(
            Transaction(
                owner_id=owner.id,
                date=first + dt.timedelta(days=index % 5),
                ticker=f"T{index % 3}",
                type="buy",
                quantity=number,
                price=AWKWARD[-1 - index],
                fee=AWKWARD[(index + 5) % len(AWKWARD)],
                amount=AWKWARD[(index + 9) % len(AWKWARD)],
            )
        )
    session.flush()
    stored = session.execute(
        select(Transaction.id, Transaction.date, Transaction.ticker, Transaction.quantity, Transaction.price,
               Transaction.fee, Transaction.amount).where(Transaction.owner_id == owner.id).order_by(Transaction.id)
    ).all()  # fmt: skip

    frame = read_ledger(session, owner=owner).frame.sort_values("id")

    assert frame["id"].tolist() == [row.id for row in stored]
    assert frame["date"].dt.date.tolist() == [row.date for row in stored]
    assert frame["ticker"].tolist() == [row.ticker for row in stored]
    for position, column in enumerate(("quantity", "price", "fee", "amount"), start=3):
        expected = np.array([row[position] for row in stored], dtype=float)
        assert np.array_equal(frame[column].to_numpy().view(np.int64), expected.view(np.int64)), column
