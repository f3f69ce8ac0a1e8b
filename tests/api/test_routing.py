"""Every route of the API is reached by its own paths: none is shadowed by a route matched
before it. The routers are listed by how often they are read (api.main.ROUTERS), and that
order must never change which route a request reaches."""

from __future__ import annotations

import re

import httpx
from fastapi.routing import APIRoute

from api.main import ROUTERS, create_app


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "7", path)  # a value every path parameter here accepts


async def test_every_route_is_reached_by_its_own_paths(monkeypatch, own_database):
    reached: list[APIRoute] = []

    async def record(self, scope, receive, send):  # instead of running the endpoint
        reached.append(self)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    monkeypatch.setattr(APIRoute, "handle", record)
    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(own_database)), base_url="http://t"
    ) as client:
        for route in routes:
            for method in sorted(route.methods - {"HEAD"}):
                response = await client.request(method, _concrete(route.path))
                assert response.status_code == 204 and reached[-1] is route, f"{method} {route.path}"
    assert len(routes) > 40
