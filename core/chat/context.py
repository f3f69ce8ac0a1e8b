"""What a grounded answer handler receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core.chat.intents import Question
from core.chat.schemas import Source
from core.config import Settings
from core.db.tables import User
from core.portfolio.holdings import held_tickers


@dataclass
class GroundedAnswer:
    intent: str
    text: str
    sources: list[Source] = field(default_factory=list)


@dataclass(frozen=True)
class AskContext:
    session: Session
    settings: Settings
    user: User
    question: Question


def ask_which_ticker(ctx: AskContext, intent: str, example: str) -> GroundedAnswer:
    own = held_tickers(ctx.session, owner=ctx.user)
    hint = f" You hold {', '.join(own)}." if own else ""
    return GroundedAnswer(intent, f'Which ticker do you mean? Name it, for example "{example}".{hint}')
