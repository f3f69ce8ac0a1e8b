"""Champion/challenger for the nightly retrain job: train each model kind of one ticker.

`retrain_ticker_champion` is what `core.jobs` calls per ticker; each model kind gets its own
registered model (`AAPL-naive`, `AAPL-ensemble`, …) and its own champion decision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings

DEFAULT_MODELS = ("naive", "drift", "arima", "ensemble")


@dataclass
class RetrainOutcome:
    ticker: str
    decisions: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    mase: dict[str, float | None] = field(default_factory=dict)
    promoted: list[str] = field(default_factory=list)

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        return asdict(self)


def retrain_ticker_champion(
    session: Session, *, settings: Settings, ticker: str, models: list[str] | None = None,
    horizon: int = 5, folds: int = 8,
) -> RetrainOutcome:
    """Train, backtest, register and maybe promote every model kind in `models` for `ticker`."""
    from core.forecasting.serving import load_closes
    from core.tracking.training import train_model

    _prices, closes = load_closes(session, ticker)
    outcome = RetrainOutcome(ticker=ticker.upper())
    for model in models or DEFAULT_MODELS:
        result = train_model(settings, ticker=outcome.ticker, model=model, series=closes, horizon=horizon,
                             folds=folds)
        outcome.decisions[model] = result.decision
        outcome.versions[model] = result.version
        outcome.mase[model] = result.challenger_mase
        if result.promoted:
            outcome.promoted.append(model)
    return outcome
