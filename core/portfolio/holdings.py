"""Holdings (`Stock` rows): create, list, change and delete, always scoped to the owner.

Another user's holding is reported as not found, so ids never reveal what exists.
A holding is what the ledger implies (core.portfolio.activities), so:
- adding one records a buy of its quantity at its average cost, dated `opened_at` or, by
  default, the last stored price date of the ticker (never the wall clock); the ticker must
  have prices and the date must lie within them, as for any activity;
- its quantity, cost, ticker and date cannot be edited here (that would rewrite history):
  record a buy or sell, or edit the activity itself; notes and currency can be edited;
- deleting it deletes the ticker's activities, unless the rest of the ledger then breaks a
  rule (cash a later buy relied on, for instance).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from core.audit import record_audit
from core.auth.permissions import ensure_can_write
from core.db.loop_reads import bounded_read
from core.db.tables import Stock, TransactionType, User
from core.errors import ConflictError, NotFoundError
from core.market.providers import PriceProvider
from core.portfolio import ledger
from core.portfolio.activities import ensure_consistent, list_activities, lock_ledger, record_activity
from core.portfolio.pricing import last_price_date, require_priced
from core.portfolio.schemas import ActivityCreate, StockCreate, StockUpdate

LEDGER_FIELDS = ("ticker", "quantity", "avg_cost", "opened_at")


def add_holding(session: Session, *, owner: User, data: StockCreate, provider: PriceProvider | None = None) -> Stock:
    ensure_can_write(owner)
    held = session.scalar(select(Stock.id).where(Stock.owner_id == owner.id, Stock.ticker == data.ticker))
    if held is not None:
        raise ConflictError(f"the portfolio already holds {data.ticker}; edit that holding instead")
    day = data.opened_at or last_price_date(session, data.ticker)
    if day is None:  # no prices (yet): the pricing rule explains, or fetches with a live provider
        require_priced(session, ticker=data.ticker, day=dt.date.today(), provider=provider)
        day = last_price_date(session, data.ticker)
    buy = ActivityCreate(
        date=day, ticker=data.ticker, type=TransactionType.BUY, quantity=data.quantity, price=data.avg_cost
    )
    record_activity(session, owner=owner, data=buy, provider=provider)
    stock = session.scalar(select(Stock).where(Stock.owner_id == owner.id, Stock.ticker == data.ticker))
    stock.currency, stock.notes = data.currency, data.notes
    session.flush()
    return stock


# The owner's holdings, and a page of them: the portfolio's most read statement, built once
# (core.db.loop_reads says why).
_HELD = select(Stock).where(Stock.owner_id == bindparam("owner_id"))
_PAGE = _HELD.order_by(Stock.ticker).limit(bindparam("limit")).offset(bindparam("offset"))


@bounded_read
def list_holdings(session: Session, *, owner: User, limit: int = 100, offset: int = 0) -> tuple[list[Stock], int]:
    rows = list(session.scalars(_PAGE, {"owner_id": owner.id, "limit": limit, "offset": offset}))
    if offset == 0 and len(rows) < limit:  # the whole list fitted in the page: it is the total
        return rows, len(rows)
    counted = select(func.count()).select_from(_HELD.subquery())
    return rows, session.scalar(counted, {"owner_id": owner.id}) or 0


def held_tickers(session: Session, *, owner: User) -> list[str]:
    """The tickers the owner holds now, sorted."""
    return list(session.scalars(select(Stock.ticker).where(Stock.owner_id == owner.id).order_by(Stock.ticker)))


@bounded_read
def get_holding(session: Session, *, owner: User, stock_id: int) -> Stock:
    stock = session.scalar(select(Stock).where(Stock.id == stock_id, Stock.owner_id == owner.id))
    if stock is None:
        raise NotFoundError(f"holding {stock_id} not found")
    return stock


def update_holding(session: Session, *, owner: User, stock_id: int, data: StockUpdate) -> Stock:
    """Change notes or currency; a change of what the ledger decides is refused (409)."""
    ensure_can_write(owner)
    stock = get_holding(session, owner=owner, stock_id=stock_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None or k == "notes"}
    rewritten = [
        field for field in LEDGER_FIELDS if field in changes and not _same(getattr(stock, field), changes[field])
    ]
    if rewritten:
        raise ConflictError(
            f"a holding's {', '.join(rewritten)} come from its activities: record a buy or sell of "
            f"{stock.ticker}, or edit the activity, instead of editing the holding"
        )
    for field in ("currency", "notes"):
        if field in changes:
            setattr(stock, field, changes[field])
    session.flush()
    return stock


def _same(current: object, new: object) -> bool:
    if isinstance(current, float) or isinstance(new, float):
        return abs(float(current) - float(new)) < 1e-9
    return current == new


def delete_holding(session: Session, *, owner: User, stock_id: int) -> None:
    """Delete a holding and its activities (refused if the rest of the ledger relied on them); audited."""
    lock_ledger(session, owner=owner)
    stock = get_holding(session, owner=owner, stock_id=stock_id)
    rest = [entry for entry in list_activities(session, owner=owner) if entry.ticker != stock.ticker]
    ensure_consistent(rest, action=f"deleting {stock.ticker} and its activities")
    ledger.delete_ticker_entries(session, owner=owner, ticker=stock.ticker)
    session.delete(stock)
    session.flush()
    record_audit(session, user=owner, action="holding.delete", target=f"holding:{stock_id}")
