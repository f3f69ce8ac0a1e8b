"""Pydantic schemas for users: what comes in, what goes out (never the hash)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from core.db.tables import Role

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: 422, not ignored

    email: EmailStr
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None  # honoured only when an admin creates the user


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: 422, not ignored

    email: EmailStr | None = None
    password: str | None = Field(default=None, min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None  # admin only
    is_active: bool | None = None  # admin only


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: dt.datetime


class UserList(BaseModel):
    items: list[UserRead]
    total: int
    limit: int
    offset: int


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
