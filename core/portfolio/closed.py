"""Closed positions: every ticker of the ledger now held at zero, with what it earned.

Realised P&L reconciles: the holdings' realised P&L plus the closed positions' equals the
portfolio's realised P&L (every ticker's position is in exactly one of the two).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.tables import User
from core.market import repository
from core.portfolio.activities import ledger_entries
from core.portfolio.analytics_schemas import ClosedPosition
from core.portfolio.positions import EPSILON, Position, replay_ledger


def closed_position(position: Position, name: str | None = None) -> ClosedPosition:
    return ClosedPosition(
        ticker=position.ticker,
        name=name,
        quantity_bought=position.bought_quantity,
        quantity_sold=position.sold_quantity,
        cost=position.bought_amount,
        proceeds=position.sold_amount,
        realized_pnl=position.realized_pnl,
        dividends=position.dividends,
        fees=position.fees,
        commissions=position.commissions,
        opened_at=position.first_opened_at,
        closed_at=position.closed_at,
    )


def closed_positions_of(positions: dict[str, Position], names: dict[str, str | None]) -> list[ClosedPosition]:
    """The closed ones of `positions`, most recently closed first."""
    closed = [closed_position(p, names.get(t)) for t, p in positions.items() if p.quantity <= EPSILON]
    return sorted(closed, key=lambda row: (row.closed_at is None, -(row.closed_at.toordinal() if row.closed_at else 0)))


def list_closed_positions(session: Session, *, owner: User) -> list[ClosedPosition]:
    """Tickers sold down to zero (or with only dividends/fees): quantity traded, realised P&L,
    dividends, fees, first opened and last closed dates."""
    positions = replay_ledger(ledger_entries(session, owner=owner))
    names = {row.symbol: row.name for row in repository.list_ticker_rows(session) if row.symbol in positions}
    return closed_positions_of(positions, names)
