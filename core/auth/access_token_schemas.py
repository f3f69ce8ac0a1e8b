"""Pydantic schemas for personal access tokens: the secret appears only in `AccessTokenCreated`."""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

MAX_EXPIRY_DAYS = 365
DEFAULT_EXPIRY_DAYS = 90


class TokenScope(enum.StrEnum):
    READ = "read"  # portfolio, prices, forecasts, backtests, accuracy, chat questions
    WRITE = "write"  # recording activities (implies read)


class AccessTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake: 422, not ignored

    name: str = Field(min_length=1, max_length=100, description="What the token is for, e.g. 'Claude Desktop'")
    scopes: list[TokenScope] = Field(default=[TokenScope.READ], min_length=1)
    expires_in_days: int = Field(default=DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, name: str) -> str:
        name = name.strip()
        if not name:
            raise ValueError("name must not be blank")
        return name

    @field_validator("scopes")
    @classmethod
    def _write_implies_read(cls, scopes: list[TokenScope]) -> list[TokenScope]:
        chosen = set(scopes) | {TokenScope.READ}
        return [scope for scope in TokenScope if scope in chosen]


class AccessTokenRead(BaseModel):
    """A token as listed: never its secret, only the prefix that identifies it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    token_prefix: str
    scopes: list[TokenScope]
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    created_at: dt.datetime

    @computed_field
    @property
    def status(self) -> str:
        """active, expired or revoked (revoked wins)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= dt.datetime.now(dt.UTC) else "active"


class AccessTokenCreated(AccessTokenRead):
    """The answer to a creation: `token` is the secret, shown this once and stored only hashed."""

    token: str
