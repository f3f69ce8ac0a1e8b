"""The `forecast_skill` cache: skill backtests stored under their configuration key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.tables import ForecastSkillRecord

if TYPE_CHECKING:
    from core.forecasting.skill import ForecastSkill

_FIELDS = (
    "ticker",
    "model",
    "horizon",
    "folds",
    "first_origin",
    "last_origin",
    "data_end",
    "mase",
    "naive_mase",
    "skill_vs_naive",
    "p_value",
    "coverage_80",
    "coverage_95",
    "interval_skill",
    "interval_p_value",
    "run_id",
    "run_url",
)


def find_skill(session: Session, *, key: str) -> ForecastSkill | None:
    """The stored skill under `key` (marked `cached`), or None."""
    from core.forecasting.skill import ForecastSkill

    row = session.scalar(select(ForecastSkillRecord).where(ForecastSkillRecord.config_key == key))
    if row is None:
        return None
    config = row.config or {}
    return ForecastSkill(
        **{name: getattr(row, name) for name in _FIELDS},
        description=config.get("description", row.model),
        window=config.get("window"),
        key=row.config_key,
        cached=True,
    )


def store_skill(session: Session, *, skill: ForecastSkill, config: dict) -> ForecastSkillRecord:
    """Store `skill` under its key (replacing a row already there); flushed, not committed."""
    row = session.scalar(select(ForecastSkillRecord).where(ForecastSkillRecord.config_key == skill.key))
    if row is not None:
        _fill(row, skill, config)
        session.flush()
        return row
    row = _fill(ForecastSkillRecord(config_key=skill.key), skill, config)
    try:
        with session.begin_nested():  # another request may have stored the same backtest meanwhile
            session.add(row)
    except IntegrityError:
        row = session.scalar(select(ForecastSkillRecord).where(ForecastSkillRecord.config_key == skill.key))
    return row


def _fill(row: ForecastSkillRecord, skill: ForecastSkill, config: dict) -> ForecastSkillRecord:
    for name in _FIELDS:
        setattr(row, name, getattr(skill, name))
    row.config = config
    return row
