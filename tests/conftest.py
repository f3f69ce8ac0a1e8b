"""Shared fixtures: real databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
migrated once per run with Alembic, and each test inside a transaction rolled back afterwards.

Fixtures:
- `database_url`  one per backend (tests that use the database run on each backend)
- `settings`      Settings for that database, with a temporary data dir and MLflow store
- `session`       a sync Session in a rolled-back transaction (for service tests)
- `api`           an `ApiHarness`: `api.client` (httpx, the real app) and `await api.run(fn, **kw)`
                  to call a sync service/factory inside the same rolled-back transaction
- `use_settings`  points get_settings() (and the environment) at the test database, for code
                  that reads settings itself (CLI, UI pages, jobs)
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from pathlib import Path

# Hermetic, offline test runs: set before anything imports the libraries that read these.
_TEST_HOME = Path(tempfile.mkdtemp(prefix="stockcast-test-"))
os.environ.update(
    {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "MPLCONFIGDIR": str(_TEST_HOME / "mpl"),
        "YF_CACHE_DIR": str(_TEST_HOME / "yfinance"),
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "ANONYMIZED_TELEMETRY": "False",
        "OFFLINE": "true",
        "DATA_PROVIDER": "bundled",
        "LOG_JSON": "false",
        "DATA_DIR": str(_TEST_HOME / "data"),
        "JWT_SECRET": secrets.token_urlsafe(48),
        "MLFLOW_TRACKING_URI": f"sqlite:///{_TEST_HOME / 'mlflow' / 'mlflow.db'}",
        "MLFLOW_ARTIFACT_ROOT": str(_TEST_HOME / "mlflow" / "artifacts"),
        "REDIS_URL": "",
        "OLLAMA_HOST": "",
        "OPENAI_BASE_URL": "",
    }
)
os.environ.pop("DATABASE_URL", None)

import httpx  # noqa: E402
import pytest  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from core.config import Settings, get_settings  # noqa: E402
from core.db.engine import make_async_engine, make_engine  # noqa: E402
from core.db.migrate import upgrade_to_head  # noqa: E402

BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Mark every test that touches a database, so `-m db` / `-m "not db"` select them.
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session")
def test_home() -> Path:
    return _TEST_HOME


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database per backend, shared by the run (tests roll back their changes)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'stockcast.db'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url:
            pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    upgrade_to_head(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        jwt_secret=os.environ["JWT_SECRET"],
        migrate_on_start=False,
        offline=True,
    )


@pytest.fixture
def use_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("MIGRATE_ON_START", "false")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def sync_engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(sync_engine) -> Session:
    with sync_engine.connect() as connection:
        outer = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
            yield session
        outer.rollback()


class ApiHarness:
    """The real app over httpx, with every request's session inside one rolled-back transaction."""

    def __init__(self, client: httpx.AsyncClient, db: AsyncSession) -> None:
        self.client = client
        self.db = db

    async def run(self, func, /, **kwargs):
        """Call a sync service or factory (taking `session` first) in the test's transaction."""
        result = await self.db.run_sync(lambda sync_session: func(sync_session, **kwargs))
        await self.db.flush()
        return result

    async def login(self, email: str, password: str) -> dict[str, str]:
        response = await self.client.post("/api/auth/token", data={"username": email, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def signup(self, email: str | None = None, password: str = "correct-horse-1") -> dict[str, str]:
        """Register a user through the API and return their auth headers."""
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        response = await self.client.post("/api/users", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        return await self.login(email, password)


@pytest.fixture
async def api(settings: Settings):
    from api.deps import get_runner
    from api.main import create_app
    from core.auth.acting import acting_user

    app = create_app(settings)
    engine = make_async_engine(settings.database_url)
    async with engine.connect() as connection:
        outer = await connection.begin()
        db = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

        class RunInTestTransaction:
            """Production runs each use case in a worker thread with its own committed unit of
            work, which could not see this test's uncommitted data (tests/api/test_runner.py
            and the durability tests cover that path). Here it runs in a savepoint of the
            test's transaction, released on success and rolled back on error, as a unit of work
            would be, checking the request's caller the same way (core.auth.acting)."""

            caller = None
            processes = app.state.work_processes  # calls with no unit of work run in them as in production

            async def __call__(self, service, /, *, user=None, user_arg="owner", write=None, **kwargs):
                acting = user or self.caller

                def work(sync_session):
                    if acting is not None:
                        account = acting_user(sync_session, acting.id, claims=acting.claims)
                        if user is not None:
                            kwargs[user_arg] = account
                    return service(sync_session, **kwargs)

                async with db.begin_nested():
                    return await db.run_sync(work)

            async def in_units(self, use_case, /, *, user=None, **kwargs):
                """`use_case(units, …)` with each unit in a savepoint of the test's transaction
                (production runs them in a work process: tests/api/test_work_processes.py)."""
                acting = user or self.caller

                def run_all(sync_session):
                    def units(service, /, *, user_arg="owner", write=True, **service_kwargs):
                        with sync_session.begin_nested():
                            account = acting_user(sync_session, acting.id, claims=acting.claims)
                            return service(sync_session, **({user_arg: account} if user_arg else {}), **service_kwargs)

                    return use_case(units, **kwargs)

                return await db.run_sync(run_all)

        app.dependency_overrides[get_runner] = RunInTestTransaction
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield ApiHarness(client, db)
        await db.close()
        await outer.rollback()
    await engine.dispose()
