"""Schemas of the chat: a question, an answer with its sources, the stored history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_MESSAGE_CHARS = 2000


class Source(BaseModel):
    """Where a fact in an answer comes from: an indexed document or a `core` computation."""

    title: str
    kind: str = Field(description="holding, portfolio, transactions, ticker, forecast, accuracy, backtest, help")
    ticker: str | None = None
    document_id: str | None = None
    snippet: str | None = None


class ChatAnswer(BaseModel):
    answer: str
    sources: list[Source]
    notice: str | None = Field(default=None, description="Set when the language model failed or was unreachable")


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: 422, not ignored

    # The length limit is checked by the service, so the API and the page say the same thing.
    message: str


class ChatMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    content: str
    sources: list[dict[str, Any]]
    created_at: dt.datetime


class ChatHistoryPage(BaseModel):
    items: list[ChatMessageRead]
    total: int
    limit: int
    offset: int
