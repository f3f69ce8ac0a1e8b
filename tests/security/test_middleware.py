"""Cross-cutting protections, over the real app: headers, request ids, size and rate limits, CORS."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.security import API_CSP, DOCS_CSP
from tests.security.conftest import change_settings


async def test_secure_headers_on_api_answers(api):
    response = await api.client.get("/ping")
    assert response.headers["content-security-policy"] == API_CSP
    assert "frame-ancestors 'none'" in API_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS


async def test_docs_get_a_csp_that_lets_them_load(api):
    response = await api.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == DOCS_CSP
    assert "https://cdn.jsdelivr.net" in DOCS_CSP
    assert "cdn.jsdelivr.net" in response.text  # the assets the CSP allows are the ones the page loads


async def test_hsts_only_over_https(api):
    transport = api.client._transport
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        response = await tls.get("/ping")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_errors_carry_the_headers_too(api):
    response = await api.client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


async def test_request_id_is_echoed_or_made(api):
    given = await api.client.get("/ping", headers={"X-Request-ID": "abc-123.def"})
    assert given.headers["x-request-id"] == "abc-123.def"
    made = await api.client.get("/ping")
    assert len(made.headers["x-request-id"]) == 32
    hostile = await api.client.get("/ping", headers={"X-Request-ID": "x" * 500})
    assert hostile.headers["x-request-id"] != "x" * 500  # never echo arbitrary input into logs
    assert len({made.headers["x-request-id"], (await api.client.get("/ping")).headers["x-request-id"]}) == 2


async def test_request_id_reaches_the_log_lines(api, caplog):
    caplog.set_level("INFO", logger="api.access")
    await api.client.get("/ping", headers={"X-Request-ID": "trace-me-42"})
    from core.logs import current_request_id

    lines = [record for record in caplog.records if record.name == "api.access"]
    assert lines and lines[-1].route == "/ping" and lines[-1].status == 200
    assert current_request_id() is None  # unbound once the request is done


async def test_oversized_body_is_413(api):
    change_settings(api, max_request_bytes=2048)
    big = {"email": "big@example.com", "password": "x" * 4096}
    response = await api.client.post("/api/users", json=big)
    assert response.status_code == 413
    assert response.headers["x-request-id"]


async def test_oversized_chunked_upload_is_413(api):
    change_settings(api, max_request_bytes=2048)
    headers = await api.signup()

    async def chunks():
        for _ in range(8):
            yield b"date,ticker,type,quantity,price,fee\n" * 20

    response = await api.client.post(
        "/api/portfolio/stock", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_body_under_the_limit_passes(api):
    change_settings(api, max_request_bytes=4096)
    response = await api.client.post("/api/users", json={"email": "ok@example.com", "password": "long-enough-1"})
    assert response.status_code == 201


async def test_login_is_rate_limited_with_retry_after(api):
    change_settings(api, rate_limit_auth="3/minute")
    form = {"username": f"nobody-{uuid.uuid4().hex[:6]}@example.com", "password": "wrong-password"}
    statuses = [(await api.client.post("/api/auth/token", data=form)).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    limited = await api.client.post("/api/auth/token", data=form)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["detail"].startswith("too many requests")
    # other routes are not counted against the log-in budget
    assert (await api.client.get("/ping")).status_code == 200


async def test_expensive_routes_are_counted_per_token(api):
    change_settings(api, rate_limit_expensive="2/minute")
    first, second = await api.signup(), await api.signup()
    path = "/api/jobs/no-such-job/run"
    mine = [(await api.client.post(path, headers=first)).status_code for _ in range(3)]
    assert mine[:2] != [429, 429] and mine[2] == 429
    assert (await api.client.post(path, headers=second)).status_code != 429  # another caller's budget


async def test_rate_limits_can_be_switched_off(api):
    change_settings(api, rate_limit_auth="1/minute", rate_limit_enabled=False)
    form = {"username": "nobody@example.com", "password": "wrong-password"}
    statuses = {(await api.client.post("/api/auth/token", data=form)).status_code for _ in range(3)}
    assert statuses == {401}


async def test_cors_comes_from_settings(api, settings):
    allowed = settings.cors_origins[0]
    preflight = {"Access-Control-Request-Method": "GET"}
    ok = await api.client.options("/api/auth/me", headers={"Origin": allowed, **preflight})
    assert ok.headers["access-control-allow-origin"] == allowed
    refused = await api.client.options("/api/auth/me", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize("limit", ["ten per minute", "10/fortnight"])
def test_malformed_limits_fail_at_start(settings, limit):
    from api.main import create_app

    with pytest.raises(ValueError):
        create_app(settings.model_copy(update={"rate_limit_auth": limit}))


async def test_ids_beyond_the_column_range_are_422_not_500(api):
    headers = await api.signup()
    for huge in (2**31, 2**70):
        response = await api.client.get(f"/api/portfolio/stock/{huge}", headers=headers)
        assert response.status_code in (404, 422), response.text
    response = await api.client.get(f"/api/portfolio/stock/{2**70}", headers=headers)
    assert response.status_code == 422
    assert "out of range" in response.json()["detail"]


async def test_422_schema_admits_the_apps_own_invalid_input_answers(api):
    schema = (await api.client.get("/openapi.json")).json()
    detail = schema["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]
