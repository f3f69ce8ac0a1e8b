"""Health of Stockcast's parts, for `GET /health` and the command line.

Each check returns a `ComponentHealth` and never raises: `ok`, `down`, `disabled` (not
configured), `unknown` (nothing to judge by yet) or `stale` (the scheduler has not run a job
for longer than a weekend). `summarize_health` folds them: the database is the only part the
app cannot serve without (`down`); any other part not ok makes the whole `degraded`.
Details say what was seen, never a URL, path or credential.

Redis and MLflow are probed in the background (`LatestProbe`): their probe can wait on
another system (a store locked while a run is logged, a Redis that hangs) for up to
PROBE_TIMEOUT_SECONDS, and a health request answers from the latest probe instead, at most
PROBE_EVERY_SECONDS old. The database and the scheduler, read from the app's own database,
are checked on every request.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.loop_reads import bounded_read
from core.db.tables import JobRun

ComponentStatus = Literal["ok", "down", "disabled", "unknown", "stale"]
PROBE_TIMEOUT_SECONDS = 2.0
PROBE_EVERY_SECONDS = 5.0
# Jobs run on weekday evenings (and the chat reindex daily): a Friday-to-Monday gap is normal.
SCHEDULER_STALE_AFTER = dt.timedelta(hours=80)
ESSENTIAL = ("database",)


class ComponentHealth(BaseModel):
    status: ComponentStatus
    detail: str | None = None
    latency_ms: float | None = None


class HealthReport(BaseModel):
    status: Literal["ok", "degraded", "down"]
    components: dict[str, ComponentHealth]


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def check_database(session: Session) -> ComponentHealth:
    started = time.perf_counter()
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "down"; the type name says which
        return ComponentHealth(status="down", detail=type(exc).__name__, latency_ms=_elapsed_ms(started))
    dialect = session.get_bind().dialect.name
    return ComponentHealth(status="ok", detail=dialect, latency_ms=_elapsed_ms(started))


@bounded_read
def check_own_database(session: Session) -> tuple[ComponentHealth, ComponentHealth]:
    """The database and the scheduler (read from it), in one unit of work."""
    return check_database(session), check_scheduler(session)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def check_scheduler(session: Session, *, now: dt.datetime | None = None) -> ComponentHealth:
    """Judged by the latest recorded job run: the scheduler has no other trace in the database."""
    try:
        latest = session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)).first()
    except Exception as exc:
        return ComponentHealth(status="unknown", detail=f"job runs unreadable: {type(exc).__name__}")
    if latest is None:
        return ComponentHealth(status="unknown", detail="no job run recorded yet")
    now = now or dt.datetime.now(dt.UTC)
    started = _aware(latest.started_at)
    detail = f"latest run: {latest.job} {latest.status.value} at {started.isoformat(timespec='seconds')}"
    if now - started > SCHEDULER_STALE_AFTER:
        return ComponentHealth(status="stale", detail=detail)
    return ComponentHealth(status="ok", detail=detail)


def check_redis(settings: Settings) -> ComponentHealth:
    if not settings.redis_url:
        return ComponentHealth(status="disabled", detail="REDIS_URL not set")
    import redis  # lazily: only deployments with Redis pay for it

    started = time.perf_counter()
    client = redis.Redis.from_url(
        settings.redis_url, socket_timeout=PROBE_TIMEOUT_SECONDS, socket_connect_timeout=PROBE_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except Exception as exc:
        return ComponentHealth(status="down", detail=type(exc).__name__, latency_ms=_elapsed_ms(started))
    finally:
        client.close()
    return ComponentHealth(status="ok", latency_ms=_elapsed_ms(started))


def check_mlflow(settings: Settings) -> ComponentHealth:
    """A tracking server answers its /health; a local SQLite store is ok once it exists."""
    uri = settings.mlflow_tracking_uri
    scheme = urlsplit(uri).scheme
    if scheme in ("http", "https"):
        import httpx

        started = time.perf_counter()
        try:
            response = httpx.get(uri.rstrip("/") + "/health", timeout=PROBE_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            return ComponentHealth(status="down", detail=type(exc).__name__, latency_ms=_elapsed_ms(started))
        status: ComponentStatus = "ok" if response.status_code == 200 else "down"
        return ComponentHealth(
            status=status, detail=f"tracking server HTTP {response.status_code}", latency_ms=_elapsed_ms(started)
        )
    if scheme == "sqlite":
        database = make_url(uri).database or ""
        if not database or not Path(database).exists():
            return ComponentHealth(status="unknown", detail="local SQLite store not created yet (no run logged)")
        return _probe_sqlite_store(Path(database))
    return ComponentHealth(status="unknown", detail=f"{scheme or 'file'} store: not probed")


def _probe_sqlite_store(database: Path) -> ComponentHealth:
    """Read the store's experiments table, read-only: "ok" only when the store answers (a store
    locked by a writer or a migration, or not an MLflow database, is "down")."""
    started = time.perf_counter()
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=PROBE_TIMEOUT_SECONDS)) as db:
            db.execute("SELECT 1 FROM experiments LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        reason = "locked" if "locked" in str(exc).lower() else type(exc).__name__
        return ComponentHealth(status="down", detail=f"local SQLite store: {reason}", latency_ms=_elapsed_ms(started))
    return ComponentHealth(status="ok", detail="local SQLite store answers", latency_ms=_elapsed_ms(started))


def summarize_health(components: dict[str, ComponentHealth]) -> HealthReport:
    if any(components[name].status == "down" for name in ESSENTIAL if name in components):
        overall: Literal["ok", "degraded", "down"] = "down"
    elif any(part.status in ("down", "stale") for part in components.values()):
        overall = "degraded"
    else:
        overall = "ok"
    return HealthReport(status=overall, components=components)


def summarize_job_runs(session: Session) -> list[tuple[str, str, int, float]]:
    """`(job, status, count, latest start as epoch seconds)` per job and status, for metrics."""
    rows = session.execute(
        select(JobRun.job, JobRun.status, func.count(), func.max(JobRun.started_at)).group_by(JobRun.job, JobRun.status)
    ).all()
    return [(job, str(status.value), int(count), _aware(latest).timestamp()) for job, status, count, latest in rows]


class LatestProbe:
    """The latest answer of a probe that may wait on another system (see the module), per
    target (a URL: settings may change). A due probe runs in a background thread while the
    previous answer is served; a target's first answer is waited for."""

    def __init__(
        self,
        probe: Callable[[Settings], ComponentHealth],
        target: Callable[[Settings], str],
        every: float = PROBE_EVERY_SECONDS,
    ) -> None:
        self._probe, self._target, self.every = probe, target, every
        self._guard = threading.Lock()
        self._answers: dict[str, tuple[float, ComponentHealth]] = {}
        self._running: set[str] = set()

    def latest(self, settings: Settings) -> ComponentHealth:
        return self.answered(settings) or self._refresh(settings, self._target(settings))

    def answered(self, settings: Settings) -> ComponentHealth | None:
        """The latest answer without waiting (a due probe starts behind it), or None before
        the target's first: safe to call on an event loop."""
        target = self._target(settings)
        with self._guard:
            known = self._answers.get(target)
            due = known is not None and time.monotonic() - known[0] >= self.every and target not in self._running
            if due:
                self._running.add(target)
        if known is None:
            return None
        if due:
            threading.Thread(target=self._refresh, args=(settings, target), name="health-probe", daemon=True).start()
        return known[1]

    def _refresh(self, settings: Settings, target: str) -> ComponentHealth:
        try:
            answer = self._probe(settings)
            with self._guard:
                self._answers[target] = (time.monotonic(), answer)
            return answer
        finally:
            with self._guard:
                self._running.discard(target)


# One per process: every app and request of the process reads the same latest answers.
REDIS_PROBE = LatestProbe(check_redis, target=lambda settings: settings.redis_url or "")
MLFLOW_PROBE = LatestProbe(check_mlflow, target=lambda settings: settings.mlflow_tracking_uri)
