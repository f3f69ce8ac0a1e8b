"""API/UI read models for served forecasts and realised accuracy (pydantic)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from pydantic import BaseModel


class ForecastPoint(BaseModel):
    date: dt.date
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class SkillRead(BaseModel):
    """The backtest of exactly the forecast's configuration and horizon (`ForecastSkill`)."""

    description: str
    horizon: int
    window: int | None
    folds: int
    first_origin: dt.date
    last_origin: dt.date
    data_end: dt.date
    mase: float | None
    naive_mase: float | None
    skill_vs_naive: float | None
    p_value: float | None
    coverage_80: float | None
    coverage_95: float | None
    interval_skill: float | None  # 1 − Winkler (80 + 95) / naive's on the same folds
    interval_p_value: float | None
    verdict: str  # "beats naive", "no better than naive" or "worse than naive"
    beats_naive: bool
    text: str
    run_url: str | None
    cached: bool

    @classmethod
    def from_skill(cls, skill) -> SkillRead:
        fields = {key: getattr(skill, key) for key in cls.model_fields if key not in ("text", "verdict")}
        return cls(**fields, verdict=skill.verdict.label, text=skill.text())


class MemberWeightRead(BaseModel):
    name: str
    weight: float
    inner_mase: float | None
    dropped: str | None


class ForecastRead(BaseModel):
    ticker: str
    model: str
    model_version: str | None
    source: str
    origin: dt.date
    interval_method: str
    notice: str | None
    skill: SkillRead | None
    members: list[MemberWeightRead]
    points: list[ForecastPoint]

    @classmethod
    def from_result(cls, result) -> ForecastRead:
        """From a `core.forecasting.serving.ForecastResult`."""
        skill = SkillRead.from_skill(result.skill) if result.skill is not None else None
        members = [MemberWeightRead(**vars(member)) for member in result.member_weights]
        points = [
            ForecastPoint(
                date=pd.Timestamp(row.date).date(),
                mean=row.mean,
                lo80=row.lo80,
                hi80=row.hi80,
                lo95=row.lo95,
                hi95=row.hi95,
            )
            for row in result.frame.itertuples(index=False)
        ]
        return cls(
            ticker=result.ticker,
            model=result.model,
            model_version=result.model_version,
            source=result.source,
            origin=result.history.index[-1].date(),
            interval_method=result.interval_method,
            notice=result.notice,
            skill=skill,
            members=members,
            points=points,
        )


class RealisedAccuracyRead(BaseModel):
    ticker: str
    model: str
    replayed: bool  # made by the walk-forward replay, not a forecast someone was shown
    n: int
    mae: float | None
    mape: float | None
    mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    first_target: dt.date
    last_target: dt.date

    @classmethod
    def rows_from(cls, table: pd.DataFrame) -> list[RealisedAccuracyRead]:
        """From `core.forecasting.accuracy.realised_accuracy`'s table (NaN → None)."""

        def plain(value):
            return None if isinstance(value, float) and not math.isfinite(value) else value

        return [cls(**{key: plain(value) for key, value in row.items()}) for row in table.to_dict(orient="records")]
