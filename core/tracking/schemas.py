"""What `core.tracking` returns: plain dataclasses, no mlflow types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BacktestSkill:
    """A model's measured skill from its latest backtest on one ticker."""

    ticker: str
    model: str
    mase: float | None
    skill_vs_naive: float | None
    coverage_80: float | None
    coverage_95: float | None
    horizon: int | None
    folds: int | None
    data_end: str | None
    run_id: str
    run_url: str
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class ChampionModel:
    """The registry's champion for one ticker and model kind, loaded and ready to predict."""

    name: str
    version: str
    run_id: str | None
    forecaster: Any  # models.base.Forecaster, fitted up to tags["data_end"]
    calibration: Any  # core.forecasting.calibration.IntervalCalibration | None
    tags: dict[str, str]

    @property
    def data_end(self) -> str | None:
        return self.tags.get("data_end")


@dataclass(frozen=True)
class TrainingOutcome:
    """What `python -m core train` did: the new version and the champion decision."""

    ticker: str
    model: str
    registered_model: str
    version: str
    training_run_id: str
    backtest_run_id: str | None
    challenger_mase: float | None
    champion_mase: float | None
    previous_champion: str | None
    promoted: bool
    decision: str
    fit_seconds: float
    backtest_seconds: float
    run_url: str = ""
