from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentUser, OptionalUser, RunDep, SettingsDep
from core.auth.schemas import UserCreate, UserList, UserRead, UserUpdate
from core.auth.service import delete_user, get_visible_user, list_users, register_user, update_user

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(data: UserCreate, run: RunDep, settings: SettingsDep, actor: OptionalUser) -> UserRead:
    """Sign up (open when ALLOW_SIGNUP is true), or an admin creating a user. The first user is admin."""
    user = await run(register_user, user=actor, user_arg="actor", data=data, allow_signup=settings.allow_signup)
    return UserRead.model_validate(user)


@router.get("", response_model=UserList)
async def read_users(
    run: RunDep,
    actor: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UserList:
    users, total = await run(list_users, user=actor, user_arg="actor", limit=limit, offset=offset)
    return UserList(items=[UserRead.model_validate(u) for u in users], total=total, limit=limit, offset=offset)


@router.get("/{user_id}", response_model=UserRead)
async def read_user(user_id: int, run: RunDep, actor: CurrentUser) -> UserRead:
    return UserRead.model_validate(await run(get_visible_user, user=actor, user_arg="actor", user_id=user_id))


@router.put("/{user_id}", response_model=UserRead)
async def change_user(user_id: int, data: UserUpdate, run: RunDep, actor: CurrentUser) -> UserRead:
    user = await run(update_user, user=actor, user_arg="actor", user_id=user_id, data=data)
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_user(user_id: int, run: RunDep, actor: CurrentUser) -> None:
    await run(delete_user, user=actor, user_arg="actor", user_id=user_id)
