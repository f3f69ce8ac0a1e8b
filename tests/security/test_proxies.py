"""Whose address a request counts under: X-Forwarded-For is believed only from TRUSTED_PROXIES."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from api.proxies import forwarded_client, trusted_networks
from core.audit import list_audit_events
from core.config import REPO_ROOT, Settings
from tests.e2e.dashboard import free_port
from tests.security.conftest import change_settings

PEER = "127.0.0.1"  # httpx's ASGI transport connects from here, like a process on the API's host


def wait_until_serving(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise TimeoutError(f"the API did not answer on {url}:\n{log.read_text()[-3000:]}")


def _form() -> dict[str, str]:
    return {"username": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": "wrong-password"}


async def _failed_login_addresses(api, count: int) -> list[str | None]:
    events = await api.run(list_audit_events, action="auth.login_failed", limit=count)
    return [event.client_ip for event in reversed(events)]


async def test_rotating_forwarded_for_from_an_untrusted_peer_is_still_limited(api):
    change_settings(api, rate_limit_auth="3/minute")  # TRUSTED_PROXIES left at its default: none
    statuses = []
    for attempt in range(4):
        forged = {"X-Forwarded-For": f"198.51.100.{attempt + 1}"}
        statuses.append((await api.client.post("/api/auth/token", data=_form(), headers=forged)).status_code)
    assert statuses == [401, 401, 401, 429]
    assert await _failed_login_addresses(api, 3) == [PEER, PEER, PEER]  # the peer, not the forged header


async def test_a_trusted_proxy_vouches_for_the_right_most_untrusted_address(api):
    change_settings(api, rate_limit_auth="3/minute", trusted_proxies=[PEER, "10.0.0.0/8"])
    client, other = "203.0.113.7", "198.51.100.9"
    statuses = []
    for attempt in range(4):
        # The client forges the left part; the edge proxy (10.1.2.3) appended the real client.
        chain = {"X-Forwarded-For": f"192.0.2.{attempt + 1}, {client}, 10.1.2.3"}
        statuses.append((await api.client.post("/api/auth/token", data=_form(), headers=chain)).status_code)
    assert statuses == [401, 401, 401, 429]
    assert await _failed_login_addresses(api, 3) == [client] * 3
    # Another client behind the same proxy has a budget of its own.
    response = await api.client.post("/api/auth/token", data=_form(), headers={"X-Forwarded-For": other})
    assert response.status_code == 401
    assert await _failed_login_addresses(api, 1) == [other]


async def test_only_a_trusted_proxy_decides_that_a_request_came_over_https(api):
    https = {"X-Forwarded-Proto": "https"}
    assert "strict-transport-security" not in (await api.client.get("/ping", headers=https)).headers
    change_settings(api, trusted_proxies=[PEER])
    assert (await api.client.get("/ping", headers=https)).headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.7:5123"], "203.0.113.7"),  # a port is not part of the address
        ("127.0.0.1", ["6.6.6.6", "203.0.113.7"], "203.0.113.7"),  # two headers: one list, in order
        ("127.0.0.1", ["[2001:db8::1]:443, 10.0.0.2"], "2001:db8::1"),
        ("127.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),  # nothing but proxies: the first of them
        ("127.0.0.1", [], "127.0.0.1"),
        ("192.0.2.1", ["203.0.113.7"], "192.0.2.1"),  # an untrusted peer's header is ignored
        ("::1", ["203.0.113.7"], "203.0.113.7"),
    ],
)
def test_forwarded_client(peer, forwarded, expected):
    networks = trusted_networks(("127.0.0.1", "::1", "10.0.0.0/8"))
    assert forwarded_client(peer, forwarded, networks) == expected


def test_trusted_proxies_setting_takes_addresses_and_networks_only():
    settings = Settings(trusted_proxies="10.0.0.7, 172.16.0.0/12,::1", _env_file=None)
    assert settings.trusted_proxies == ["10.0.0.7", "172.16.0.0/12", "::1"]
    assert Settings(_env_file=None).trusted_proxies == []
    for bad in ("*", "proxy.internal", "10.0.0.300"):
        with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
            Settings(trusted_proxies=bad, _env_file=None)


@contextmanager
def served_api(tmp_path: Path, **settings: str) -> Iterator[str]:
    """`python main.py` on its own SQLite file with one worker, its output in tmp_path/api.log;
    yields its base URL."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
        "DATA_DIR": str(tmp_path),
        "API_PORT": str(port),
        "API_WORKERS": "1",
        "REDIS_URL": "",
        **settings,
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    log = tmp_path / "api.log"
    with open(log, "w") as output:
        server = subprocess.Popen([sys.executable, "main.py"], cwd=REPO_ROOT, env=env, stdout=output, stderr=output)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/ping", server, log)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_served_api_ignores_forwarded_for_from_a_local_process(tmp_path):
    """`python main.py` as deployed: uvicorn must not rewrite the peer from X-Forwarded-For
    (its default trusts 127.0.0.1), or any local process rotates past the log-in limit."""
    # one worker: one in-memory count (with more, each worker counts its share)
    with served_api(tmp_path, RATE_LIMIT_AUTH="3/minute") as base:
        forged = [{"X-Forwarded-For": f"198.51.100.{n}"} for n in range(1, 5)]
        statuses = [httpx.post(f"{base}/api/auth/token", data=_form(), headers=h).status_code for h in forged]
    assert statuses == [401, 401, 401, 429]


def test_the_served_api_logs_each_request_once_without_its_query_string(tmp_path):
    """One access line per request, ours (route template, status, ms): uvicorn's own line, which
    carries the query string, stays off even though server loggers are routed to the root."""
    with served_api(tmp_path, LOG_JSON="true", LOG_LEVEL="INFO") as base:
        assert httpx.get(f"{base}/api/portfolio?limit=5&marker=q7x").status_code == 401
    text = (tmp_path / "api.log").read_text()
    assert "marker=q7x" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    served = [line for line in lines if line.get("route") == "/api/portfolio"]
    assert [(line["logger"], line["status"]) for line in served] == [("api.access", 401)]
    assert not [line for line in lines if line.get("logger") == "uvicorn.access"]
