"""Personal access tokens of the logged-in user: create (the secret is in the answer, once),
list, revoke. A password log-in (JWT) is required: a token cannot mint or revoke tokens."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import LoggedInUser, RunDep
from core.auth.access_token_schemas import AccessTokenCreate, AccessTokenCreated, AccessTokenRead
from core.auth.access_tokens import create_personal_token, list_personal_tokens, revoke_personal_token

router = APIRouter(prefix="/api/users/me/tokens", tags=["access tokens"])


@router.post("", response_model=AccessTokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(data: AccessTokenCreate, run: RunDep, user: LoggedInUser) -> AccessTokenCreated:
    """Create a token with scopes (`read`, `write`) and an expiry; `token` is shown only here."""
    return await run(create_personal_token, user=user, user_arg="user", data=data)


@router.get("", response_model=list[AccessTokenRead])
async def read_tokens(run: RunDep, user: LoggedInUser) -> list[AccessTokenRead]:
    """The caller's tokens, newest first, with when each was last used (never the secrets)."""
    return await run(list_personal_tokens, user=user, user_arg="user")


@router.delete("/{token_id}", response_model=AccessTokenRead)
async def revoke_token(token_id: int, run: RunDep, user: LoggedInUser) -> AccessTokenRead:
    """Revoke a token at once; it is refused from its next use on."""
    return await run(revoke_personal_token, user=user, user_arg="user", token_id=token_id)
