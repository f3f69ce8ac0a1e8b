"""Which address a request comes from: the TCP peer, or what a trusted proxy vouches for.

The client address (per-address rate limits, the audit log) is the peer, unless the peer is one
of TRUSTED_PROXIES: then it is the right-most X-Forwarded-For address that is not itself a
trusted proxy, and the scheme is the proxy's X-Forwarded-Proto. With no trusted proxies (the
default) forwarded headers are ignored, so a client cannot choose the address it is counted
under. uvicorn's own header handling is off in `main.py`: it would otherwise rewrite the peer
from X-Forwarded-For (it trusts 127.0.0.1 by default) before this middleware sees it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from api.security import ASGIApp, Receive, Scope, Send, header
from core.config import Settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_MAX_ADDRESS_LENGTH = 45  # the longest textual IPv6 address (the audit log keeps 64 characters)


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def is_trusted(address: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _address_of(hop: str) -> str:
    """The address in one X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`."""
    hop = hop.strip()
    if hop.startswith("[") and "]" in hop:
        return hop[1 : hop.index("]")]
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def forwarded_client(peer: str, forwarded_for: list[str], networks: tuple[IPNetwork, ...]) -> str:
    """The address a request is counted and audited under (see the module docstring).

    Each proxy appends the address it received the request from. Read from the right, the
    first address that is not a trusted proxy is the one a trusted proxy vouches for; anything
    left of it is whatever the client chose to send.
    """
    if not is_trusted(peer, networks):
        return peer
    hops = [_address_of(hop) for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            return hop[:_MAX_ADDRESS_LENGTH]
    return hops[0][:_MAX_ADDRESS_LENGTH] if hops else peer  # nothing but proxies: the first of them


class TrustedProxyMiddleware:
    """Sets `scope["client"]` and `scope["scheme"]` from a trusted proxy's headers, before
    anything else reads them (it is the outermost middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            settings: Settings = scope["app"].state.settings
            networks = trusted_networks(tuple(settings.trusted_proxies))
            peer, port = scope["client"]
            if is_trusted(peer, networks):
                forwarded = [value.decode("latin-1") for key, value in scope["headers"] if key == b"x-forwarded-for"]
                scope["client"] = (forwarded_client(peer, forwarded, networks), port)
                proto = (header(scope, b"x-forwarded-proto") or "").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        await self.app(scope, receive, send)
