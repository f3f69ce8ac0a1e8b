"""Every permission refusal the API answers (403) is audited once, as `access.denied`.

`audit_refusal` is called by the handler that answers 403 (api.errors), so it covers every
route and every dependency, the caller's look-up included. When the refusal is not already in
the audit log (a token's refusal is recorded as `token.refused` where the token is checked),
it records the refusal with the caller (bound by `api.deps` as `request.state.user_id`), the
method, the path and the reason, in a unit of work of its own committed before the 403 is
answered (the refused use case's own unit of work has rolled back already). If the record
cannot be written, the caller still gets the 403 and a warning is logged.

A handler, not an app-wide dependency: a dependency that wraps every route costs every
request (a /ping included) a generator to solve and a context to exit, about a fifth of the
cheapest request's instructions, to catch the rare one that is refused.
"""

from __future__ import annotations

import logging

from fastapi import Request

from api.deps import ServiceRunner
from core.audit import record_access_denied
from core.errors import PermissionDeniedError

logger = logging.getLogger(__name__)


async def audit_refusal(request: Request, refusal: PermissionDeniedError) -> None:
    if refusal.audited:
        return
    run = getattr(request.state, "runner", None)  # the caller's, bound by api.deps
    if run is None:  # refused before the caller was known
        state = request.app.state
        run = ServiceRunner(state.settings, write=True, processes=state.work_processes)
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
