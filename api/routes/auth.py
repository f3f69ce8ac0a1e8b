from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import CurrentUser, SessionDep, SettingsDep, call_service
from core.auth.schemas import Token, UserRead
from core.auth.service import attempt_login
from core.auth.tokens import create_access_token
from core.errors import CoreError

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=Token)
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> Token:
    """OAuth2 password flow: `username` is the email."""
    outcome = await call_service(session, attempt_login, email=form.username, password=form.password)
    if isinstance(outcome, CoreError):
        await session.commit()  # keep the failure count before answering 401/429
        raise outcome
    user = outcome
    token = create_access_token(settings, user_id=user.id, role=user.role.value, token_version=user.token_version)
    return Token(access_token=token)


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)
