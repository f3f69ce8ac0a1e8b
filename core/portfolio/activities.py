"""Activities: the ledger of buys, sells, dividends, fees, deposits and withdrawals per user,
the one source of truth for holdings, cash, closed positions, income and performance.

Rules every change keeps (`record_activity`, `update_activity`, `delete_activity`, and the
CSV import through `record_activities`):
- the ticker has stored prices and the date lies within them (see core.portfolio.pricing);
- the whole ledger is replayed after the change: a sell of more than is held at its date,
  or (once deposits are recorded) cash ending a day below zero, refuses the change with the
  date named, and nothing is written;
- a change touches only the activity named; the `Stock` row of each ticker touched is then
  rewritten from the ledger (`sync_holding`), a position sold down to zero having none;
- writes of one owner's ledger are serialised (`lock_ledger`), so the rules hold whatever
  the concurrency: two sells of a whole position at once → one is refused.
"""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from core.auth.permissions import ensure_can_write
from core.db.loop_reads import bounded_read
from core.db.tables import LedgerVersion, Stock, Transaction, User, utcnow
from core.errors import InvalidInputError, NotFoundError
from core.market.providers import PriceProvider
from core.market.repository import dialect_insert, get_ticker_row
from core.portfolio.ledger_rows import LedgerRow, activity_rows, ledger_entries
from core.portfolio.positions import Position, check_ledger, replay_ledger, sort_key
from core.portfolio.pricing import require_priced
from core.portfolio.schemas import ActivityCreate, ActivityUpdate

__all__ = ["LedgerRow", "activity_rows", "ledger_entries"]  # the ledger's rows, as older callers import them

ACTIVITY_FIELDS = ("date", "ticker", "type", "quantity", "price", "fee", "amount")


def list_activities(session: Session, *, owner: User, ticker: str | None = None) -> list[Transaction]:
    """The owner's activities in replay order (date, then deposit → buy → … → withdrawal)."""
    query = select(Transaction).where(Transaction.owner_id == owner.id)
    if ticker is not None:
        query = query.where(Transaction.ticker == ticker.strip().upper())
    entries = list(session.scalars(query.order_by(Transaction.date, Transaction.id)))
    return sorted(entries, key=sort_key)


def traded_tickers(session: Session, *, owner: User) -> list[str]:
    """Every ticker the owner's ledger names, held now or not, sorted."""
    query = select(Transaction.ticker).where(Transaction.owner_id == owner.id, Transaction.ticker.is_not(None))
    return sorted(session.scalars(query.distinct()))


# Every cached figure's first statement: built once (core.db.loop_reads says why).
_LEDGER_TOKEN = select(LedgerVersion.token).where(LedgerVersion.owner_id == bindparam("owner_id"))


def ledger_version(session: Session, *, owner: User) -> str | None:
    """The token of the owner's ledger as it is now (None before any write recorded one)."""
    return session.scalar(_LEDGER_TOKEN, {"owner_id": owner.id})


def lock_ledger(session: Session, *, owner: User) -> None:
    """Check the owner may write, then hold their ledger until the unit of work ends, and
    give it a new version token (the analytics cache keys on it; a write that rolls back
    takes its token with it).

    Every ledger write calls this before it reads the ledger it checks. PostgreSQL: a row lock
    on the owner (`SELECT … FOR UPDATE`); a second writer of the same ledger waits for the
    first to commit, then reads what it wrote. SQLite: a writing unit of work already holds
    the database's write lock (BEGIN IMMEDIATE), and the dialect renders no FOR UPDATE.
    """
    ensure_can_write(owner)
    session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    statement = dialect_insert(session)(LedgerVersion).values(owner_id=owner.id, token=uuid.uuid4().hex)
    session.execute(
        statement.on_conflict_do_update(index_elements=["owner_id"], set_={"token": statement.excluded.token})
    )


@bounded_read
def get_activity(session: Session, *, owner: User, activity_id: int) -> Transaction:
    """One of the owner's activities; another user's is reported as not found."""
    entry = session.scalar(select(Transaction).where(Transaction.id == activity_id, Transaction.owner_id == owner.id))
    if entry is None:
        raise NotFoundError(f"activity {activity_id} not found")
    return entry


def sync_holding(session: Session, *, owner: User, ticker: str) -> Stock | None:
    """Rewrite the `Stock` row of `ticker` from the ledger; returns it (None when closed)."""
    position = replay_ledger(activity_rows(session, owner=owner, ticker=ticker)).get(ticker, Position(ticker=ticker))
    return store_holding(session, owner=owner, position=position)


def store_holding(session: Session, *, owner: User, position: Position) -> Stock | None:
    """Write the `Stock` row of a position the ledger's replay gave (None when closed)."""
    ticker = position.ticker
    stock = session.scalar(select(Stock).where(Stock.owner_id == owner.id, Stock.ticker == ticker))
    if position.quantity <= 0:
        if stock is not None:
            session.delete(stock)
            session.flush()
        return None
    if stock is None:
        meta = get_ticker_row(session, ticker)
        stock = Stock(owner_id=owner.id, ticker=ticker, currency=meta.currency if meta else "USD")
        session.add(stock)
    stock.quantity = position.quantity
    stock.avg_cost = position.avg_cost
    stock.opened_at = position.opened_at
    session.flush()
    return stock


def ensure_consistent(entries: list, *, action: str) -> dict[str, Position]:
    """Replay `entries` (the whole ledger as it would be) and return its positions;
    InvalidInputError "<action> is refused: …" naming the date when a rule breaks."""
    try:
        return check_ledger(entries)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{action} is refused: {exc.message}", details=exc.details) from exc


def record_activity(
    session: Session, *, owner: User, data: ActivityCreate, provider: PriceProvider | None = None
) -> Transaction:
    """Add one activity (see the module's rules); updates the ticker's holding."""
    lock_ledger(session, owner=owner)
    require_priced(session, ticker=data.ticker, day=data.date, provider=provider)
    entry = Transaction(owner_id=owner.id, **data.model_dump())
    ensure_consistent([*activity_rows(session, owner=owner), entry], action=f"the {data.type.value}")
    session.add(entry)
    session.flush()
    if entry.ticker:
        sync_holding(session, owner=owner, ticker=entry.ticker)
    return entry


def record_activities(session: Session, *, owner: User, rows: list[ActivityCreate]) -> int:
    """Add many already-checked activities at once, all or nothing (the whole ledger is
    checked); one bulk INSERT, however many rows. Returns how many were added."""
    lock_ledger(session, owner=owner)
    positions = ensure_consistent([*activity_rows(session, owner=owner), *rows], action="the import")
    if rows:
        # Core executemany: an import of 100,000 rows needs no ORM object per row.
        created_at = utcnow()
        values = [{"owner_id": owner.id, "created_at": created_at, **row.model_dump()} for row in rows]
        session.execute(insert(Transaction.__table__), values)
    for ticker in sorted({row.ticker for row in rows if row.ticker}):
        store_holding(session, owner=owner, position=positions.get(ticker, Position(ticker=ticker)))
    return len(rows)


def _merged(entry: Transaction, data: ActivityUpdate) -> ActivityCreate:
    from pydantic import ValidationError

    values = {name: getattr(entry, name) for name in ACTIVITY_FIELDS} | data.model_dump(exclude_unset=True)
    try:
        return ActivityCreate(**values)
    except ValidationError as exc:
        problems = [
            {
                "column": ".".join(str(p) for p in e["loc"]) or "activity",
                "reason": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        raise InvalidInputError(
            f"the changed activity is not valid: {problems[0]['reason']}", details=problems
        ) from exc


def update_activity(
    session: Session,
    *,
    owner: User,
    activity_id: int,
    data: ActivityUpdate,
    provider: PriceProvider | None = None,
) -> Transaction:
    """Change the fields given of one activity, after checking the whole ledger with the change."""
    lock_ledger(session, owner=owner)
    entry = get_activity(session, owner=owner, activity_id=activity_id)
    changed = _merged(entry, data)
    if (changed.ticker, changed.date) != (entry.ticker, entry.date):
        require_priced(session, ticker=changed.ticker, day=changed.date, provider=provider)
    candidate = Transaction(id=entry.id, owner_id=owner.id, **changed.model_dump())
    others = [other for other in activity_rows(session, owner=owner) if other.id != entry.id]
    ensure_consistent([*others, candidate], action=f"changing the {entry.type.value} of {entry.date}")
    old_ticker = entry.ticker
    for name, value in changed.model_dump().items():
        setattr(entry, name, value)
    session.flush()
    for ticker in sorted({t for t in (old_ticker, entry.ticker) if t}):
        sync_holding(session, owner=owner, ticker=ticker)
    return entry


def delete_activity(session: Session, *, owner: User, activity_id: int) -> None:
    """Remove one activity, unless the ledger without it breaks a rule (named with its date)."""
    lock_ledger(session, owner=owner)
    entry = get_activity(session, owner=owner, activity_id=activity_id)
    others = [other for other in activity_rows(session, owner=owner) if other.id != entry.id]
    ensure_consistent(others, action=f"deleting the {entry.type.value} of {entry.date}")
    ticker = entry.ticker
    session.delete(entry)
    session.flush()
    if ticker:
        sync_holding(session, owner=owner, ticker=ticker)
