from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import RunDep, SettingsDep, VerifiedUser
from core.auth.schemas import Token, UserRead
from core.auth.service import attempt_login
from core.auth.tokens import create_access_token
from core.errors import CoreError

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=Token)
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], run: RunDep, settings: SettingsDep
) -> Token:
    """OAuth2 password flow: `username` is the email."""
    # A refusal is returned, not raised, so its unit of work commits the failure count (lockout).
    outcome = await run(attempt_login, write=True, email=form.username, password=form.password)
    if isinstance(outcome, CoreError):
        raise outcome
    user = outcome
    token = create_access_token(settings, user_id=user.id, role=user.role.value, token_version=user.token_version)
    return Token(access_token=token)


@router.get("/me", response_model=UserRead)
async def read_me(user: VerifiedUser) -> UserRead:
    return UserRead.model_validate(user)
