"""API/UI read models for served forecasts and realised accuracy (pydantic)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, computed_field

from core.forecasting.significance import SkillVerdict


class ForecastPoint(BaseModel):
    date: dt.date
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class ForecastSkill(BaseModel):
    """The measured skill of one forecast configuration at one horizon: the one skill type of
    the service (`core.forecasting.skill`), the API, MCP and the `forecast_skill` table
    (`core.forecasting.skill_repository` maps the row from and to it).

    Skill against naive is 1 − MASE / naive's MASE on the same rolling-origin folds; the
    intervals' skill is 1 − Winkler (80 + 95) / naive's; each judged by its DM p-value.
    """

    model_config = ConfigDict(frozen=True)

    ticker: str
    model: str
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
    interval_skill: float | None = None
    interval_p_value: float | None = None
    run_id: str | None = None
    run_url: str | None = None
    key: str
    cached: bool = False

    @property
    def verdict(self) -> SkillVerdict:
        return SkillVerdict(skill=self.skill_vs_naive, p_value=self.p_value, n_folds=self.folds)

    @property
    def interval_verdict(self) -> SkillVerdict:
        return SkillVerdict(skill=self.interval_skill, p_value=self.interval_p_value, n_folds=self.folds)

    @computed_field(alias="verdict")  # serialised as "verdict": "beats naive" / "no better than naive" / …
    @property
    def verdict_label(self) -> str:
        return self.verdict.label

    @computed_field
    @property
    def beats_naive(self) -> bool:
        return self.verdict.beats_naive

    @property
    def origin_span(self) -> str:
        return f"{self.first_origin.isoformat()} to {self.last_origin.isoformat()}"

    @computed_field(alias="text")
    @property
    def summary_text(self) -> str:
        return self.text()

    def text(self) -> str:
        """E.g. "no better than naive: +1.2% skill, DM p = 0.650, 20 folds"."""
        return self.verdict.text()


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
    skill: ForecastSkill | None  # None while it is being measured: see `skill_status`
    skill_status: Literal["ready", "pending"]  # pending: poll GET /api/forecast/{ticker}/skill (same query)
    members: list[MemberWeightRead]
    points: list[ForecastPoint]

    @classmethod
    def from_result(cls, result) -> ForecastRead:
        """From a `core.forecasting.serving.ForecastResult`."""
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
            skill=result.skill,
            skill_status="ready" if result.skill is not None else "pending",
            members=members,
            points=points,
        )


class SkillStatusRead(BaseModel):
    """Where a forecast configuration's skill stands: ready (with `skill`) or running."""

    status: Literal["ready", "running"]
    done: int
    total: int
    message: str
    skill: ForecastSkill | None

    @classmethod
    def from_task(cls, task: Any) -> SkillStatusRead:
        """From a `core.forecasting.skill_tasks.SkillTask`."""
        return cls(status=task.status, done=task.done, total=task.total, message=task.message, skill=task.skill)

    @classmethod
    def ready(cls, skill: ForecastSkill) -> SkillStatusRead:
        return cls(status="ready", done=1, total=1, message="Stored", skill=skill)


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
