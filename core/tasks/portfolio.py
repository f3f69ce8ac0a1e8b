"""The portfolio's long requests as tasks: the same core calls as the synchronous routes, the
dashboard and MCP, with their progress going to the task's row.

Each `start_*` runs in the caller's unit of work (it records the queued task) and refuses what
can be refused at once (a viewer's import, a bad file: nothing recorded); the work itself runs
as the owner in its own units of work once the caller commits (core.tasks.runner).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.auth.acting import run_as
from core.auth.permissions import ensure_can_write
from core.config import Settings
from core.db.tables import User
from core.market.providers import PriceProvider
from core.portfolio.ledger import ParsedFile, import_transactions
from core.portfolio.projection import ProjectionRead, projection_report
from core.portfolio.schemas import ImportResult
from core.portfolio.transactions_csv import raise_problems
from core.tasks.records import TaskRead
from core.tasks.runner import TaskProgress, UserTasks

PROJECTION, IMPORT = "portfolio.projection", "transactions.import"


def start_projection(
    session: Session,
    *,
    owner: User,
    tasks: UserTasks,
    settings: Settings,
    horizon: int,
    confidence: float = 0.95,
    model: str = "drift",
) -> TaskRead:
    """`projection_report` as a task; its result is the `ProjectionRead` of the synchronous route."""
    owner_id = owner.id

    def work(progress: TaskProgress) -> ProjectionRead:
        return run_as(
            settings,
            owner_id,
            projection_report,
            write=False,
            settings=settings,
            horizon=horizon,
            confidence=confidence,
            model=model,
            progress=progress,
        )

    return tasks.submit(session, owner=owner, kind=PROJECTION, message="Queued: projecting the portfolio", work=work)


def start_import(
    session: Session,
    *,
    owner: User,
    tasks: UserTasks,
    settings: Settings,
    parsed: ParsedFile,
    save_mapping_as: str | None = None,
    provider: PriceProvider | None = None,
) -> TaskRead:
    """`import_transactions` as a task, all or nothing: a viewer, or a file with bad rows, is
    refused here (403, or 422 with every problem); the ledger's own checks (oversells, prices)
    run in the task, and fail it with the same problems. "succeeded" is recorded in the unit
    of work that writes the rows, so the two are committed together."""
    ensure_can_write(owner)
    if parsed.problems:
        raise_problems(list(parsed.problems))
    owner_id = owner.id

    def work(progress: TaskProgress) -> ImportResult:
        def import_and_record(unit: Session, *, owner: User) -> ImportResult:
            result = import_transactions(
                unit, owner=owner, parsed=parsed, save_mapping_as=save_mapping_as, provider=provider, progress=progress
            )
            progress.record_success(unit, result)
            return result

        return run_as(settings, owner_id, import_and_record)

    message = f"Queued: importing {len(parsed.rows):,} activities"
    return tasks.submit(session, owner=owner, kind=IMPORT, message=message, work=work)
