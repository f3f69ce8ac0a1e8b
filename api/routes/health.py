from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/ping")
async def ping() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"ping": "pong"}
