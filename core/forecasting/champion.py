"""The champion configuration: what every face forecasts when the user names nothing.

The registry's champion is the full ensemble of the catalog's members with default weights
(the inverse of each member's inner-backtest error), trained on all history; it holds
0.988 × naive's MASE on unseen tickers, better than any smaller set. Its default horizon is
10 sessions, and its skill is measured on `settings.skill_folds` origins spread over
`settings.skill_span` sessions. The Predictions and Stock pages, the API, MCP `forecast`,
the chat and the retrain job's precomputation all take it from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.config import Settings
from models.catalog import get_forecaster_class

CHAMPION_MODEL = "ensemble"
CHAMPION_HORIZON = 10


@dataclass(frozen=True)
class ChampionConfig:
    """The champion's model, members (default weights: None), horizon and skill fold plan."""

    model: str
    members: tuple[str, ...]
    horizon: int
    skill_folds: int
    skill_span: int
    weights: None = None  # default: inverse inner-backtest error, not hand weights
    window: None = None  # trained on all history

    def plain_members(self, models: Sequence[str] | None) -> list[str] | None:
        """`models` as a request carries it: None (the champion's own, served by the registry)
        when it is exactly the champion's member set, else the list unchanged."""
        if models is not None and sorted(models) == sorted(self.members):
            return None
        return list(models) if models is not None else None

    def describe(self) -> str:
        return f"{self.model} of {', '.join(self.members)}, default weights, {self.horizon} sessions ahead"


def champion_config(settings: Settings) -> ChampionConfig:
    """The champion configuration under these settings (see the module docstring)."""
    members = tuple(get_forecaster_class(CHAMPION_MODEL).default_params["members"])
    return ChampionConfig(
        model=CHAMPION_MODEL,
        members=members,
        horizon=CHAMPION_HORIZON,
        skill_folds=settings.skill_folds,
        skill_span=settings.skill_span,
    )
