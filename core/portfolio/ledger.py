"""The transaction ledger seen as files and pages: listing, CSV import and export, and the
names older callers use. The rules live in `core.portfolio.activities`.

How holdings relate to it: each `Stock` row is the current position the ledger implies for
its ticker (quantity and average cost), rewritten after every ledger change; a position sold
down to zero has no `Stock` row. Adding a holding by hand records a buy (see holdings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.auth.acting import ActingUnits
from core.auth.permissions import ensure_can_write
from core.db.loop_reads import bounded_read
from core.db.tables import Transaction, User
from core.errors import InvalidInputError
from core.market.providers import PriceProvider
from core.portfolio.activities import (
    activity_rows,
    list_activities,
    lock_ledger,
    record_activities,
    record_activity,
    sync_holding,
)
from core.portfolio.positions import Position, apply_entry, replay_cash, sort_key
from core.portfolio.pricing import check_priced
from core.portfolio.schemas import ActivityCreate, ImportResult
from core.portfolio.transactions_csv import (
    ParsedRow,
    collect_transaction_rows,
    export_csv,
    get_import_mapping,
    raise_problems,
    save_import_mapping,
)

__all__ = ["owner_transactions", "record_transaction", "sync_holding"]

IMPORT_STEPS = 3  # checking the prices, checking the ledger, writing


def owner_transactions(session: Session, *, owner: User, ticker: str | None = None) -> list[Transaction]:
    """The owner's entries in replay order (same as `list_activities`)."""
    return list_activities(session, owner=owner, ticker=ticker)


def record_transaction(
    session: Session, *, owner: User, data: ActivityCreate, provider: PriceProvider | None = None
) -> Transaction:
    """Add one entry (`record_activity`)."""
    return record_activity(session, owner=owner, data=data, provider=provider)


def record_transactions(
    session: Session, *, owner: User, rows: list[ActivityCreate], provider: PriceProvider | None = None
) -> ImportResult:
    """Add many entries at once, all or nothing, with every rule of a single activity."""
    ensure_can_write(owner)
    problems = check_priced(session, items=[(row.ticker, row.date) for row in rows], provider=provider)
    bad = [problem for problem in problems if problem]
    if bad:
        raise InvalidInputError(bad[0], details=[{"column": "ticker", "reason": p} for p in bad])
    imported = record_activities(session, owner=owner, rows=rows)
    return ImportResult(imported=imported, tickers=sorted({row.ticker for row in rows if row.ticker}))


@bounded_read
def list_transactions(
    session: Session, *, owner: User, limit: int = 100, offset: int = 0, ticker: str | None = None
) -> tuple[list[Transaction], int]:
    """The owner's entries, newest first, with the total count."""
    query = select(Transaction).where(Transaction.owner_id == owner.id)
    if ticker:
        query = query.where(Transaction.ticker == ticker.upper())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Transaction.date.desc(), Transaction.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def delete_ticker_entries(session: Session, *, owner: User, ticker: str) -> None:
    session.execute(delete(Transaction).where(Transaction.owner_id == owner.id, Transaction.ticker == ticker))


# --- CSV import and export ------------------------------------------------------------------


def _check_rows_against_ledger(
    session: Session,
    *,
    owner: User,
    rows: list[ParsedRow],
    provider: PriceProvider | None = None,
    report: Callable[..., None],
) -> list[dict[str, object]]:
    """Unknown tickers, dates outside the prices, oversells and overdrawn cash, one problem per
    row where it can be placed, found before anything is written."""
    problems: list[dict[str, object]] = []
    report(0, IMPORT_STEPS, f"Checking {len(rows):,} activities against the stored prices")
    priced = check_priced(session, items=[(r.data.ticker, r.data.date) for r in rows], provider=provider)
    for parsed, problem in zip(rows, priced, strict=True):
        if problem:
            column = "ticker" if problem.startswith("unknown ticker") else "date"
            problems.append({"row": parsed.row, "column": column, "reason": problem})
    report(1, IMPORT_STEPS, f"Checking {len(rows):,} activities against your ledger")
    existing = activity_rows(session, owner=owner)
    positions: dict[str, Position] = {}
    staged = [(entry, None) for entry in existing] + [(r.data, r.row) for r in rows]
    for entry, row in sorted(staged, key=lambda pair: sort_key(pair[0])):
        if not entry.ticker:
            continue
        position = positions.setdefault(entry.ticker, Position(ticker=entry.ticker))
        try:
            apply_entry(position, entry)
        except InvalidInputError as exc:
            problems.append({"row": row, "column": "quantity", "reason": exc.message})
    try:
        replay_cash([entry for entry, _row in staged])
    except InvalidInputError as exc:
        problems.append({"row": None, "column": "amount", "reason": exc.message})
    return problems


@dataclass(frozen=True)
class ParsedFile:
    """A transactions file read and validated row by row, before any unit of work."""

    rows: list[ParsedRow]
    problems: list[dict[str, object]]
    mapping: dict[str, str] | None


def read_transactions_file(content: bytes | str, *, mapping: dict[str, str] | None = None) -> ParsedFile:
    """Parse and validate a file (pure CPU work, no session): faces call it before opening the
    import's unit of work, so parsing never holds the database's write lock."""
    rows, problems = collect_transaction_rows(content, mapping=mapping)
    return ParsedFile(rows=rows, problems=problems, mapping=mapping)


@dataclass(frozen=True)
class FileCheck:
    """What a face needs of a file before it queues the file's import (its rows parsed elsewhere)."""

    rows: int
    problems: list[dict[str, object]]


def check_transactions_file(content: bytes | str, *, mapping: dict[str, str] | None = None) -> FileCheck:
    parsed = read_transactions_file(content, mapping=mapping)
    return FileCheck(rows=len(parsed.rows), problems=list(parsed.problems))


def import_transactions(
    session: Session,
    *,
    owner: User,
    content: bytes | str | None = None,
    parsed: ParsedFile | None = None,
    mapping: dict[str, str] | None = None,
    mapping_name: str | None = None,
    save_mapping_as: str | None = None,
    provider: PriceProvider | None = None,
    progress: Callable[..., None] | None = None,
) -> ImportResult:
    """Import a CSV of transactions, all or nothing.

    `content` is the file, or `parsed` the file already read by `read_transactions_file`
    (outside the unit of work). `mapping` maps the file's headers onto ours; `mapping_name`
    uses a saved one; `save_mapping_as` saves `mapping` for next time. A bad file raises
    InvalidInputError whose `details` are {"row", "column", "reason"} for every problem, and
    writes nothing. `progress(done, total, message)` hears its IMPORT_STEPS steps (checking
    the prices, the ledger, writing), the last when the rows are written, not yet committed.
    """
    report = progress or (lambda *_args: None)
    lock_ledger(session, owner=owner)
    if parsed is None:
        if mapping is None and mapping_name:
            mapping = get_import_mapping(session, owner=owner, name=mapping_name)
        parsed = read_transactions_file(content or b"", mapping=mapping)
    rows, problems = parsed.rows, list(parsed.problems)
    problems += _check_rows_against_ledger(session, owner=owner, rows=rows, provider=provider, report=report)
    if problems:
        raise_problems(problems)
    report(2, IMPORT_STEPS, f"Writing {len(rows):,} activities")
    with session.begin_nested():
        imported = record_activities(session, owner=owner, rows=[r.data for r in rows])
        if save_mapping_as and parsed.mapping:
            save_import_mapping(session, owner=owner, name=save_mapping_as, columns=parsed.mapping)
    report(IMPORT_STEPS, IMPORT_STEPS, f"Wrote {imported:,} activities")
    return ImportResult(imported=imported, tickers=sorted({r.data.ticker for r in rows if r.data.ticker}))


def import_file(
    units: ActingUnits,
    /,
    *,
    content: bytes | str,
    mapping: dict[str, str] | None = None,
    mapping_name: str | None = None,
    save_mapping_as: str | None = None,
    provider: PriceProvider | None = None,
) -> ImportResult:
    """`import_transactions` of a whole file, in `units` as the caller (core.auth.acting): the
    saved mapping is read in a unit of its own, the file parsed with no unit open (parsing
    never holds the write lock), then the import's unit of work runs and commits. Whole, it
    is one call a serving face hands to a work process (core.db.work_processes)."""
    if mapping is None and mapping_name:
        mapping = units(get_import_mapping, write=False, name=mapping_name)
    parsed = read_transactions_file(content, mapping=mapping)
    return units(import_transactions, parsed=parsed, save_mapping_as=save_mapping_as, provider=provider)


def export_transactions(session: Session, *, owner: User) -> str:
    """The owner's ledger as CSV `date,ticker,type,quantity,price,fee,amount` (re-importable)."""
    return export_csv(owner_transactions(session, owner=owner))
