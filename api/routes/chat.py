"""Chat: ask a question about your own portfolio; read your conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, RunDep, SettingsDep
from core.chat.schemas import ChatAnswer, ChatHistoryPage, ChatMessageRead, ChatRequest
from core.chat.service import ask, list_chat_history

router = APIRouter(prefix="/api/chat", tags=["chat"])


@router.post("", response_model=ChatAnswer)
async def post_question(data: ChatRequest, settings: SettingsDep, user: CurrentUser, run: RunDep) -> ChatAnswer:
    """Answer a question from the caller's own data, with sources; the exchange is stored."""
    return await run(ask, user=user, user_arg="user", settings=settings, message=data.message)


@router.get("", response_model=ChatHistoryPage)
async def read_history(
    run: RunDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ChatHistoryPage:
    """The caller's questions and answers, newest first, paginated."""
    rows, total = await run(list_chat_history, user=user, user_arg="user", limit=limit, offset=offset)
    items = [ChatMessageRead.model_validate(row) for row in rows]
    return ChatHistoryPage(items=items, total=total, limit=limit, offset=offset)
