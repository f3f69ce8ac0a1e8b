"""Test data made through the services, as the app makes it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.auth.schemas import UserCreate
from core.auth.service import register_user
from core.db.tables import Role, Stock, TransactionType, User
from core.portfolio.holdings import add_holding
from core.portfolio.schemas import StockCreate

DEFAULT_PASSWORD = "correct-horse-1"


def make_user(session: Session, *, role: Role | None = None, **overrides) -> User:
    data = {"email": f"user-{uuid.uuid4().hex[:8]}@example.com", "password": DEFAULT_PASSWORD} | overrides
    user = register_user(session, data=UserCreate(**data))
    if role is not None:
        user.role = role
        session.flush()
    return user


def make_holding(session: Session, *, owner: User, **overrides) -> Stock:
    data = {"ticker": "AAPL", "quantity": 10, "avg_cost": 100.0} | overrides
    return add_holding(session, owner=owner, data=StockCreate(**data))


@dataclass
class LedgerEntry:
    """A ledger row as the pure ledger functions read it (no database), for property and
    hand-computed tests."""

    date: dt.date
    ticker: str | None
    type: TransactionType
    quantity: float = 0.0
    price: float = 0.0
    fee: float = 0.0
    amount: float = 0.0
    id: int = 0
