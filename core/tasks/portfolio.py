"""The portfolio's long requests as tasks: the same core calls as the synchronous routes, the
dashboard and MCP, with their progress going to the task's row.

Each `start_*` runs in the caller's unit of work (it records the queued task) and refuses what
can be refused at once (a viewer's import, a bad file: nothing recorded); the work itself runs
as the owner in its own units of work once the caller commits (core.tasks.runner), in one of
the process's work processes (core.db.work_processes), its progress relayed back.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.auth.acting import ActingUnits, run_as, run_units_as
from core.auth.permissions import ensure_can_write
from core.config import Settings
from core.db.tables import User
from core.market.providers import PriceProvider
from core.portfolio.ledger import (
    IMPORT_STEPS,
    FileCheck,
    ParsedFile,
    import_transactions,
    read_transactions_file,
)
from core.portfolio.projection import ProjectionRead, projection_report
from core.portfolio.schemas import ImportResult
from core.portfolio.transactions_csv import raise_problems
from core.tasks.records import TaskRead, record_success
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
    """`projection_report` as a task, in a work process; its result is the `ProjectionRead` of
    the synchronous route."""
    owner_id = owner.id

    def work(progress: TaskProgress) -> ProjectionRead:
        return tasks.processes.call_reporting(
            progress,
            run_as,
            settings,
            owner_id,
            projection_report,
            write=False,
            settings=settings,
            horizon=horizon,
            confidence=confidence,
            model=model,
        )

    return tasks.submit(session, owner=owner, kind=PROJECTION, message="Queued: projecting the portfolio", work=work)


def start_import(
    session: Session,
    *,
    owner: User,
    tasks: UserTasks,
    settings: Settings,
    content: bytes | str,
    checked: FileCheck,
    mapping: dict[str, str] | None = None,
    save_mapping_as: str | None = None,
    provider: PriceProvider | None = None,
) -> TaskRead:
    """`import_transactions` of `content` as a task, all or nothing: a viewer, or a file whose
    rows `checked` found bad (core.portfolio.ledger.check_transactions_file, which the face
    runs first), is refused here (403, or 422 with every problem); the ledger's own checks
    (oversells, prices) run in the task, and fail it with the same problems. The task parses
    the file again in a work process; "succeeded" is recorded in the unit of work that writes
    the rows, so the two are committed together."""
    ensure_can_write(owner)
    if checked.problems:
        raise_problems(list(checked.problems))
    owner_id = owner.id

    def work(progress: TaskProgress) -> ImportResult:
        return tasks.processes.call_reporting(
            progress,
            run_units_as,
            settings,
            owner_id,
            import_file_as_task,
            task_id=progress.task_id,
            content=content,
            mapping=mapping,
            save_mapping_as=save_mapping_as,
            provider=provider,
        )

    message = f"Queued: importing {checked.rows:,} activities"
    return tasks.submit(session, owner=owner, kind=IMPORT, message=message, work=work)


def import_file_as_task(
    units: ActingUnits,
    /,
    *,
    task_id: int,
    content: bytes | str,
    mapping: dict[str, str] | None,
    save_mapping_as: str | None,
    provider: PriceProvider | None,
    progress: Callable[..., None],
) -> ImportResult:
    """The import task's work: the file parsed with no unit of work open, then the import and
    the task's "succeeded" in one unit."""
    parsed = read_transactions_file(content, mapping=mapping)
    return units(
        _import_and_record,
        task_id=task_id,
        parsed=parsed,
        save_mapping_as=save_mapping_as,
        provider=provider,
        progress=progress,
    )


def _import_and_record(
    session: Session,
    *,
    owner: User,
    task_id: int,
    parsed: ParsedFile,
    save_mapping_as: str | None,
    provider: PriceProvider | None,
    progress: Callable[..., None],
) -> ImportResult:
    result = import_transactions(
        session, owner=owner, parsed=parsed, save_mapping_as=save_mapping_as, provider=provider, progress=progress
    )
    record_success(session, task_id=task_id, result=result, done=IMPORT_STEPS, total=IMPORT_STEPS)
    return result
