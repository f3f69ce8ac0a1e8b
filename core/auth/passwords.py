"""Password hashing with Argon2id (pwdlib's recommended settings)."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher().verify(password, hashed)


@lru_cache
def dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so timing does not reveal emails."""
    return hash_password("not-a-real-password")
