"""The dashboard (`streamlit run serve.py`) answers with the API's security headers, over HTTP."""

from __future__ import annotations

import re

import httpx

from api.main import create_app
from core.config import Settings
from core.http_headers import COMMON_HEADERS
from tests.e2e.dashboard import running_dashboard
from ui.http_headers import DASHBOARD_CSP

SECURITY_HEADERS = {"content-security-policy", "strict-transport-security"} | {
    name.decode() for name, _ in COMMON_HEADERS
}


async def _api_headers(settings: Settings, scheme: str) -> dict[str, str]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=f"{scheme}://a") as client,
    ):
        response = await client.get("/ping")
    return {name: value for name, value in response.headers.items() if name in SECURITY_HEADERS}


async def test_every_dashboard_answer_carries_the_apis_security_headers(tmp_path):
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path)
    api_http, api_https = await _api_headers(settings, "http"), await _api_headers(settings, "https")
    with running_dashboard() as dashboard:
        shell = httpx.get(f"{dashboard.url}/")
        bundle = re.search(r'src="\./(static/js/index\.[^"]+\.js)"', shell.text).group(1)
        answers = {
            "page shell": shell,
            "script bundle": httpx.get(f"{dashboard.url}/{bundle}"),
            "health probe": httpx.get(f"{dashboard.url}/_stcore/health"),
            "cookie hand-over": httpx.get(f"{dashboard.url}/session/start?ticket=spent&next=/Portfolio"),
            "log-out route": httpx.get(f"{dashboard.url}/session/end"),
        }
        # Behind a proxy uvicorn trusts (FORWARDED_ALLOW_IPS; 127.0.0.1 by default) that says HTTPS.
        over_tls = httpx.get(f"{dashboard.url}/", headers={"X-Forwarded-Proto": "https"})
    for name, answer in answers.items():
        assert answer.status_code in (200, 303), f"{name}: {answer.status_code}"
        headers = {key: value for key, value in answer.headers.items() if key in SECURITY_HEADERS}
        assert headers == api_http | {"content-security-policy": DASHBOARD_CSP}, name
    assert "strict-transport-security" not in api_http  # plain HTTP: no HSTS, on either
    tls_headers = {key: value for key, value in over_tls.headers.items() if key in SECURITY_HEADERS}
    assert tls_headers == api_https | {"content-security-policy": DASHBOARD_CSP}
    assert "frame-ancestors 'none'" in DASHBOARD_CSP and "object-src 'none'" in DASHBOARD_CSP
