"""What a long job gets instead of one session: short units of work, progress, and resume.

A long job (refresh, retrain, replay) is written as a loop over tickers: for each, read in a
short unit (`read()`), compute outside any transaction, store in a short unit (`write()`),
then `record(ticker, entry)`, which commits the ticker's entry to the run's `result` at once.
So a concurrent writer waits a moment at most and never kills the job, and the Admin page
sees the run's progress.

Resume: when the previous run of the same job with the same arguments failed (its worker
died, or it stopped on an error), its recorded tickers are *carried*: `resumed(ticker)`
answers True for them and copies their entry, so the new run starts where that one stopped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import ShortUnits
from core.db.tables import JobRun, JobStatus

PREVIOUS_RUNS_SCANNED = 20


class JobWork(ShortUnits):
    def __init__(self, settings: Settings, *, run_id: int, carried: dict[str, Any] | None = None) -> None:
        super().__init__(settings)
        self.run_id = run_id
        self.carried = dict(carried or {})
        self.items: dict[str, Any] = {}

    def resumed(self, ticker: str) -> bool:
        """Whether `ticker` was done by the interrupted run this one resumes (its entry is kept)."""
        if ticker not in self.carried:
            return False
        self.items[ticker] = self.carried[ticker]
        return True

    def record(self, ticker: str, entry: Any) -> None:
        """`ticker` is done: its entry is committed to the run's result now."""
        self.items[ticker] = entry
        progress = dict(self.items)
        self.write(lambda session: save_progress(session, run_id=self.run_id, tickers=progress))


def save_progress(session: Session, *, run_id: int, tickers: dict[str, Any]) -> None:
    run = session.get_one(JobRun, run_id)
    run.result = {**(run.result or {}), "tickers": tickers}  # a new dict: JSON columns see no in-place change


def interrupted_progress(session: Session, *, job: str, args: dict[str, Any], before_id: int) -> dict[str, Any]:
    """The tickers recorded by the latest earlier run of `job` with these `args`, when that run
    failed (interrupted); empty when it succeeded or there is none."""
    runs = session.scalars(
        select(JobRun)
        .where(JobRun.job == job, JobRun.id < before_id, JobRun.status != JobStatus.SKIPPED)
        .order_by(JobRun.id.desc())
        .limit(PREVIOUS_RUNS_SCANNED)
    )
    for run in runs:
        if (run.args or {}) != args:
            continue
        if run.status != JobStatus.FAILED:
            return {}
        tickers = (run.result or {}).get("tickers")
        return dict(tickers) if isinstance(tickers, dict) else {}
    return {}
