"""The ledger as the MCP tools see it: "activities" (buys, sells, dividends, fees).

One small adapter over `core.portfolio.ledger`, so the tools name one place to change when
the ledger's own activities module lands.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.tables import User
from core.portfolio.ledger import list_transactions, record_transaction
from core.portfolio.schemas import TransactionCreate, TransactionPage, TransactionRead


def list_activities(
    session: Session, *, owner: User, limit: int = 100, offset: int = 0, ticker: str | None = None
) -> TransactionPage:
    rows, total = list_transactions(session, owner=owner, limit=limit, offset=offset, ticker=ticker)
    return TransactionPage(
        items=[TransactionRead.model_validate(row) for row in rows], total=total, limit=limit, offset=offset
    )


def record_activity(session: Session, *, owner: User, data: TransactionCreate) -> TransactionRead:
    return TransactionRead.model_validate(record_transaction(session, owner=owner, data=data))
