"""Every permission refusal the API answers (403) is audited once, as `access.denied`.

`audit_refusals` is an app-wide dependency (`api.main.create_app`), so it wraps every route and
the dependencies resolved after it (the caller's look-up included). When a
`PermissionDeniedError` passes through it that is not already in the audit log (a token's
refusal is recorded as `token.refused` where the token is checked), it records the refusal with
the caller (bound by `api.deps` as `request.state.user_id`), the method, the path and the
reason, in a unit of work of its own committed before the error goes on to the handler that
answers 403 (the refused use case's own unit of work has rolled back already). If the record
cannot be written, the caller still gets the 403 and a warning is logged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from fastapi import Request

from api.deps import RunDep, ServiceRunner
from core.audit import record_access_denied
from core.errors import PermissionDeniedError

logger = logging.getLogger(__name__)


async def audit_refusals(request: Request, run: RunDep) -> AsyncIterator[None]:
    try:
        yield
    except PermissionDeniedError as refusal:
        if not refusal.audited:
            await _record(request, run, refusal)
        raise


async def _record(request: Request, run: ServiceRunner, refusal: PermissionDeniedError) -> None:
    event = {
        "user_id": getattr(request.state, "user_id", None),
        "method": request.method,
        "path": request.url.path,
        "reason": refusal.message,
    }
    try:
        await run(record_access_denied, write=True, **event)
    except Exception:  # the edge: a refusal must still answer 403 when the log cannot be written
        logger.warning("refusal not audited", extra={"path": event["path"]}, exc_info=True)
        return
    refusal.audited = True
