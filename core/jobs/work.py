"""What a long job gets instead of one session: short units of work, and its progress.

A long job (refresh, retrain, replay) is written as a loop over tickers: for each, read in a
short unit (`read()`), compute outside any transaction, store in a short unit (`write()`),
then `record(ticker, entry)`, which commits the ticker's entry to the run's `result["tickers"]`
at once. So a concurrent writer waits a moment at most and never kills the job, and the Admin
page sees the run's progress.

An interrupted run (its worker died, or it stopped on an error) keeps what it committed, and
the next run resumes where it stopped through each job's own notion of "done": prices already
stored are not fetched again (refresh is incremental), a ticker recorded as trained on its
newest price is `up_to_date` (retrain reads the recorded progress of failed runs too), replayed
origins are skipped (replay). Keyed on the data, not on the run, so a run the next day still
does the new day's work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from core.db.session import ShortUnits
from core.db.tables import JobRun


class JobWork(ShortUnits):
    def __init__(self, settings: Settings, *, run_id: int) -> None:
        super().__init__(settings)
        self.run_id = run_id
        self.items: dict[str, Any] = {}

    def record(self, ticker: str, entry: Any) -> None:
        """`ticker` is done: its entry is committed to the run's result now."""
        self.items[ticker] = entry
        progress = dict(self.items)
        self.write(lambda session: save_progress(session, run_id=self.run_id, tickers=progress))


def save_progress(session: Session, *, run_id: int, tickers: dict[str, Any]) -> None:
    run = session.get_one(JobRun, run_id)
    run.result = {**(run.result or {}), "tickers": tickers}  # a new dict: JSON columns see no in-place change
