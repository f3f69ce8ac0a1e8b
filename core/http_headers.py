"""The security headers every HTTP answer carries, from the API and the dashboard alike.

`SecurityHeadersMiddleware` is pure ASGI (no web framework imported), so both servers wrap
their whole app with it: the API (`api.middleware`) and the dashboard's `st.App` (`serve.py`,
`ui.http_headers`). Each face brings its own Content-Security-Policy, chosen per path; the
rest is the same everywhere: nosniff, frame denial, no referrer, a same-origin opener, no
camera/microphone/geolocation, and HSTS on HTTPS requests only (behind a TLS proxy the scheme
is https once the proxy is trusted). A header the app already set is left as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
CspChooser = Callable[[str], str]  # request path → the Content-Security-Policy for its answer

HSTS = "max-age=31536000; includeSubDomains"
COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


def security_headers(*, csp: str, scheme: str | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-security-policy", csp.encode()), *COMMON_HEADERS]
    # HSTS over plain HTTP is ignored by browsers and wrong for local use.
    if scheme == "https":
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, csp_for: CspChooser) -> None:
        self.app = app
        self.csp_for = csp_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(csp=self.csp_for(scope.get("path", "")), scheme=scope.get("scheme"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", ())}
                message["headers"] = [*message.get("headers", ()), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
