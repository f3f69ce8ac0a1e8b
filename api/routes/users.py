from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep, call_service
from core.auth.schemas import UserCreate, UserList, UserRead, UserUpdate
from core.auth.service import delete_user, get_visible_user, list_users, register_user, update_user

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(data: UserCreate, session: SessionDep, settings: SettingsDep, actor: OptionalUser) -> UserRead:
    """Sign up (open when ALLOW_SIGNUP is true), or an admin creating a user. The first user is admin."""
    user = await call_service(session, register_user, data=data, actor=actor, allow_signup=settings.allow_signup)
    return UserRead.model_validate(user)


@router.get("", response_model=UserList)
async def read_users(
    session: SessionDep,
    actor: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UserList:
    users, total = await call_service(session, list_users, actor=actor, limit=limit, offset=offset)
    return UserList(items=[UserRead.model_validate(u) for u in users], total=total, limit=limit, offset=offset)


@router.get("/{user_id}", response_model=UserRead)
async def read_user(user_id: int, session: SessionDep, actor: CurrentUser) -> UserRead:
    return UserRead.model_validate(await call_service(session, get_visible_user, actor=actor, user_id=user_id))


@router.put("/{user_id}", response_model=UserRead)
async def change_user(user_id: int, data: UserUpdate, session: SessionDep, actor: CurrentUser) -> UserRead:
    user = await call_service(session, update_user, actor=actor, user_id=user_id, data=data)
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_user(user_id: int, session: SessionDep, actor: CurrentUser) -> None:
    await call_service(session, delete_user, actor=actor, user_id=user_id)
