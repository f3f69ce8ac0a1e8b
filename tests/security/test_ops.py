"""/health, /metrics, Redis-backed rate limits and OTLP tracing, against real local servers."""

from __future__ import annotations

import datetime as dt
import http.server
import random
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from core import prometheus_metrics as metrics
from core.config import Settings
from core.db.tables import JobRun, JobStatus
from core.health import SCHEDULER_STALE_AFTER, ComponentHealth, LatestProbe, check_mlflow, check_redis, check_scheduler
from tests.security.conftest import change_settings


def _redis_up(url: str = "redis://127.0.0.1:6379/15") -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


needs_redis = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A tiny real HTTP server: answers 200 to everything and remembers what it was sent."""

    seen: list[tuple[str, str]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append((self.command, self.path))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_health_reports_every_part(api):
    response = await api.client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body["components"]) == {"database", "mlflow", "redis", "scheduler"}
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["redis"]["status"] == "disabled"  # tests run without REDIS_URL
    assert body["components"]["scheduler"] == {
        "status": "unknown",
        "detail": "no job run recorded yet",
        "latency_ms": None,
    }
    assert body["status"] in ("ok", "degraded")


async def test_health_with_redis_down_is_degraded_not_down(api):
    change_settings(api, redis_url=f"redis://127.0.0.1:{_free_port()}/0")
    body = (await api.client.get("/health")).json()
    assert body["components"]["redis"]["status"] == "down"
    assert body["status"] == "degraded"


async def test_health_sees_recent_and_stale_job_runs(api):
    now = dt.datetime.now(dt.UTC)

    def add_run(session, started):
        session.add(JobRun(job="refresh_prices", status=JobStatus.SUCCEEDED, started_at=started, args={}))
        session.flush()

    await api.run(add_run, started=now - SCHEDULER_STALE_AFTER - dt.timedelta(hours=1))
    stale = (await api.client.get("/health")).json()
    assert stale["components"]["scheduler"]["status"] == "stale"
    assert stale["status"] == "degraded"
    await api.run(add_run, started=now - dt.timedelta(minutes=5))
    fresh = (await api.client.get("/health")).json()["components"]["scheduler"]
    assert fresh["status"] == "ok" and "refresh_prices succeeded" in fresh["detail"]


def test_scheduler_check_reads_naive_sqlite_times(session):
    session.add(JobRun(job="retrain", status=JobStatus.FAILED, started_at=dt.datetime(2020, 1, 1), args={}))
    session.flush()
    assert check_scheduler(session).status == "stale"


def test_mlflow_check_against_a_tracking_server(http_server, tmp_path):
    assert check_mlflow(Settings(mlflow_tracking_uri=http_server)).status == "ok"
    assert ("GET", "/health") in _Recorder.seen
    down = check_mlflow(Settings(mlflow_tracking_uri=f"http://127.0.0.1:{_free_port()}"))
    assert down.status == "down"
    missing = check_mlflow(Settings(mlflow_tracking_uri=f"sqlite:///{tmp_path / 'none.db'}"))
    assert missing.status == "unknown"
    (tmp_path / "empty.db").write_bytes(b"")  # a file, but no store: it does not answer
    assert check_mlflow(Settings(mlflow_tracking_uri=f"sqlite:///{tmp_path / 'empty.db'}")).status == "down"


def test_mlflow_check_of_a_sqlite_store_needs_it_to_answer(tmp_path):
    import sqlite3

    settings = Settings(mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    writer = sqlite3.connect(tmp_path / "mlflow.db", isolation_level=None)
    writer.execute("CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY)")
    assert check_mlflow(settings).status == "ok"
    writer.execute("BEGIN EXCLUSIVE")  # as a migration or a long write holds it
    try:
        locked = check_mlflow(settings)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert locked.status == "down" and "locked" in locked.detail
    assert check_mlflow(settings).status == "ok"


@needs_redis
def test_redis_check_with_a_real_redis():
    assert check_redis(Settings(redis_url="redis://127.0.0.1:6379/15")).status == "ok"


async def test_metrics_count_requests_by_route_template(api):
    headers = await api.signup()
    for user_id in (987654, 987655):  # two raw paths, one template
        await api.client.get(f"/api/users/{user_id}", headers=headers)
    await api.client.get("/no/such/path/at/all")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'stockcast_http_requests_total{method="GET",route="/api/users/{user_id}",status="404"}' in text
    assert "/api/users/987654" not in text
    assert 'route="unmatched"' in text and "/no/such/path" not in text
    assert "stockcast_http_request_duration_seconds_count" in text


async def test_metrics_show_recorded_jobs_and_model_work(api):
    def add_run(session):
        session.add(JobRun(job="evaluate_realised", status=JobStatus.FAILED, args={}))
        session.flush()

    await api.run(add_run)
    metrics.record_job_run("reindex_chat", status="succeeded", seconds=1.5)
    metrics.observe_training("prophet", seconds=0.6)
    metrics.record_forecast_failure("lstm", reason="InsufficientHistoryError")
    metrics.observe_forecast_error("arima", abs_pct_error=0.03)
    text = (await api.client.get("/metrics")).text
    assert 'stockcast_job_recorded_runs{job="evaluate_realised",status="failed"} 1.0' in text
    assert 'stockcast_job_runs_total{job="reindex_chat",status="succeeded"}' in text
    assert 'stockcast_model_training_duration_seconds_count{model="prophet"}' in text
    assert 'stockcast_forecast_failures_total{model="lstm",reason="InsufficientHistoryError"}' in text
    assert 'stockcast_forecast_abs_pct_error_count{model="arima"}' in text


@needs_redis
async def test_rate_limits_are_shared_through_redis(api, settings):
    """Two app instances (two API processes) spend one budget when REDIS_URL is set."""
    from api.main import create_app

    redis_settings = settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:6379/15", "rate_limit_auth": "2/minute"}
    )
    client_ip = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    form = {"username": "nobody@example.com", "password": "wrong-password"}
    statuses = []
    for _ in range(2):  # each instance answers once before the shared budget is spent
        app = create_app(redis_settings)
        app.dependency_overrides = api.client._transport.app.dependency_overrides
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(client_ip, 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                statuses.append((await client.post("/api/auth/token", data=form)).status_code)
                if len(statuses) == 2:
                    third = await client.post("/api/auth/token", data=form)
                    statuses.append(third.status_code)
                    assert int(third.headers["retry-after"]) >= 1
    assert statuses == [401, 401, 429]


async def test_rate_limiting_fails_open_when_redis_is_down(api, settings):
    from api.main import create_app

    app = create_app(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{_free_port()}/0"}))
    app.dependency_overrides = api.client._transport.app.dependency_overrides
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/api/auth/token", data={"username": "a@example.com", "password": "b"})
    assert response.status_code == 401  # answered, not 500


def test_tracing_exports_spans_to_the_otlp_endpoint(http_server, settings):
    """A real FastAPI request with OTLP_ENDPOINT set reaches a (local) collector as a span batch."""
    from starlette.testclient import TestClient

    from api.main import create_app
    from core.telemetry import configure_tracing

    traced = settings.model_copy(update={"otlp_endpoint": http_server})
    app = create_app(traced)
    with TestClient(app) as client:
        assert client.get("/api/auth/me").status_code == 401
        assert client.get("/health").status_code == 200  # not traced: probes would drown the traces
    provider = configure_tracing(traced)
    provider.force_flush()
    provider.shutdown()  # no exports to the closed server later in the run
    assert ("POST", "/v1/traces") in _Recorder.seen


def test_telemetry_is_off_without_settings(settings):
    from core.telemetry import configure_sentry, configure_tracing, tracer

    assert configure_tracing(settings) is None
    assert configure_sentry(settings) is False
    with tracer(settings, __name__).start_as_current_span("work"):  # a no-op, not an error
        pass


def test_health_serves_the_last_probe_while_a_due_one_waits_in_the_background():
    """A probe stuck behind another system (an MLflow store locked by a writer, a hung
    Redis) never holds a health request: the last answer is served meanwhile."""
    release = threading.Event()
    answers: list[str] = []

    def probe(_settings: Settings) -> ComponentHealth:
        answers.append(f"answer {len(answers) + 1}")
        if len(answers) > 1:
            assert release.wait(30)  # stuck until the test lets it go
        return ComponentHealth(status="ok", detail=answers[-1])

    latest = LatestProbe(probe, target=lambda _settings: "the store", every=0)
    settings = Settings(_env_file=None)
    assert latest.answered(settings) is None and answers == []  # nothing known, nothing waited for
    assert latest.latest(settings).detail == "answer 1"  # a target's first answer is waited for
    assert latest.latest(settings).detail == "answer 1"  # due: probed behind, not waited for
    deadline = time.monotonic() + 30
    while len(answers) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert answers == ["answer 1", "answer 2"]  # the second probe is running, stuck
    assert latest.latest(settings).detail == "answer 1"  # and it is still not waited for
    assert latest.answered(settings).detail == "answer 1"  # nor by the loop's own call
    release.set()
    while latest.latest(settings).detail == "answer 1" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert latest.latest(settings).detail.startswith("answer ") and latest.latest(settings).detail != "answer 1"
