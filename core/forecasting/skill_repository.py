"""The `forecast_skill` cache: skill backtests stored under their configuration key.

The row is mapped from and to `ForecastSkill` by name: the model's fields that are columns
are columns, the rest (description, training window) live in the row's `config` JSON, and
the key is `config_key`. A field added to `ForecastSkill` is stored without touching this.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.tables import ForecastSkillRecord
from core.forecasting.schemas import ForecastSkill

_NOT_STORED = frozenset({"key", "cached"})  # the key is `config_key`; `cached` says where it was read
_STORED = frozenset(ForecastSkill.model_fields) - _NOT_STORED
_COLUMNS = frozenset(ForecastSkillRecord.__table__.columns.keys()) & _STORED
_IN_CONFIG = _STORED - _COLUMNS


def skill_from_row(row: ForecastSkillRecord) -> ForecastSkill:
    """The stored skill as `ForecastSkill` (marked `cached`)."""
    config = row.config or {}
    values: dict[str, Any] = {name: getattr(row, name) for name in _COLUMNS}
    values |= {name: config.get(name) for name in _IN_CONFIG}
    values["description"] = values.get("description") or row.model
    return ForecastSkill.model_validate({**values, "key": row.config_key, "cached": True})


def find_skill(session: Session, *, key: str) -> ForecastSkill | None:
    """The stored skill under `key` (marked `cached`), or None."""
    row = session.scalar(select(ForecastSkillRecord).where(ForecastSkillRecord.config_key == key))
    return skill_from_row(row) if row is not None else None


def store_skill(session: Session, *, skill: ForecastSkill, config: dict) -> ForecastSkillRecord:
    """Store `skill` under its key (replacing a row already there); flushed, not committed.
    `config` adds what the skill does not carry (members, weights, origin step)."""
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
    for name, value in skill.model_dump(include=set(_COLUMNS)).items():
        setattr(row, name, value)
    row.config = {**config, **skill.model_dump(include=set(_IN_CONFIG), mode="json")}
    return row
