"""Who may do what. Admins manage everything; analysts change their own data; viewers read.

Asking for another user's thing is answered as if it did not exist (NotFoundError), so ids
never leak; asking for an action a role lacks is PermissionDeniedError.
"""

from __future__ import annotations

from core.db.tables import Role, User
from core.errors import PermissionDeniedError


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN


def ensure_admin(user: User) -> None:
    if not is_admin(user):
        raise PermissionDeniedError("this action needs the admin role")


def ensure_can_write(user: User) -> None:
    """Viewers have read-only accounts."""
    if user.role == Role.VIEWER:
        raise PermissionDeniedError("viewers have read-only access; ask an admin for the analyst role")
