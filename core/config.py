"""Application settings, read from the environment and `.env`.

Every path, URL, secret and knob of Stockcast is a field here. `get_settings()` returns one
cached instance; nothing reads the environment anywhere else. A bad value fails at start
with pydantic's message, which names the variable.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Secrets people copy from tutorials; refused so that a deployment never runs with one.
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "jwt-secret", "your-secret-key", "test"}
MIN_SECRET_LENGTH = 32


def _split_csv(value: object) -> object:
    """Accept `a,b,c` as well as a JSON list for list-valued variables."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Field(default=REPO_ROOT / "var", description="Runtime data: database, index, secrets")
    database_url: str = Field(default="", description="sqlite:///… or postgresql://… (driver optional)")
    bundled_data_dir: Path = Field(default=REPO_ROOT / "data", description="Bundled demo prices")
    migrate_on_start: bool = True

    # --- API -----------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=0, ge=0, le=64, description="API worker processes; 0 = one per CPU core")
    task_workers: int = Field(
        default=2, ge=1, le=32, description="Long requests (projections, imports) run at once per API process"
    )
    work_processes: int = Field(
        default=2,
        ge=0,
        le=32,
        description="Processes per API worker for use cases heavy on CPU (projections, file imports), so they "
        "never hold the serving process's GIL; each holds the model libraries (~390 MB); 0 = in its threads",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=["http://localhost:5173", "http://localhost:8501", "http://127.0.0.1:8501"]
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Addresses/CIDRs of reverse proxies whose X-Forwarded-For/-Proto the API believes; empty: none",
    )
    allow_signup: bool = True
    jwt_secret: SecretStr | None = None
    jwt_expire_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    dashboard_session_hours: int = Field(
        default=24 * 7, ge=1, le=24 * 90, description="A dashboard log-in (its HttpOnly cookie) lasts this long"
    )

    # --- MCP server (python -m mcp_server) ---------------------------------------------------
    mcp_host: str = "127.0.0.1"
    mcp_port: int = Field(default=8765, ge=1, le=65535, description="Streamable HTTP port of the MCP server")
    mcp_token: SecretStr | None = Field(default=None, description="stdio only: the personal access token to act as")
    rate_limit_mcp: str = Field(default="60/minute", description="MCP tool calls per access token")

    # --- market data ---------------------------------------------------------------------
    data_provider: Literal["bundled", "yfinance"] = "bundled"
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    offline: bool = Field(default=False, description="Never touch the network, whatever the provider")

    # --- forecasting and tracking --------------------------------------------------------
    mlflow_tracking_uri: str = Field(default="", description="Default: sqlite file mlruns/mlflow.db")
    mlflow_artifact_root: Path = Field(default=REPO_ROOT / "mlruns" / "artifacts")
    mlflow_host: str = Field(default="127.0.0.1", description="Address `make run` / `make mlflow` bind the UI to")
    mlflow_port: int = Field(default=5000, ge=1, le=65535, description="Port of the MLflow UI `make run` starts")
    mlflow_ui_url: str = Field(default="", description="Where MLflow links point; default http://HOST:PORT above")
    backtest_workers: int = Field(default=0, ge=0, le=64, description="0 = one per CPU core")
    skill_folds: int = Field(default=20, ge=2, le=200, description="Origins of a forecast's own skill backtest")
    skill_span: int = Field(default=260, ge=1, le=5000, description="Sessions the skill backtest's origins spread over")

    # --- chat ----------------------------------------------------------------------------
    ollama_host: str = ""
    ollama_model: str = "llama3.2"
    openai_base_url: str = ""
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    # --- jobs and caching ----------------------------------------------------------------
    redis_url: str = ""
    refresh_cron: str = "30 22 * * mon-fri"
    retrain_cron: str = "0 23 * * mon-fri"
    evaluate_cron: str = "30 23 * * mon-fri"
    reindex_cron: str = "45 23 * * *"
    replay_cron: str = Field(default="0 2 * * sat", description="Weekly: replay the new week's origins")
    celery_queue: str = Field(default="stockcast", description="Celery queue the scheduler and workers use")
    cache_ttl_seconds: int = Field(default=3600, ge=1, le=7 * 24 * 3600, description="Price/forecast cache")
    # A running job renews its lease every heartbeat; a run whose lease lapses (its worker died)
    # is marked failed and its lock is free, so the next run proceeds.
    job_heartbeat_seconds: float = Field(default=15, gt=0, le=600, description="How often a running job renews")
    job_lease_seconds: float = Field(default=60, gt=0, le=3600, description="A silent run is failed after")
    # Every Redis call (cache, locks, Celery broker and result backend) gives up after this.
    redis_timeout_seconds: float = Field(default=2, gt=0, le=30, description="Per Redis connect or call")
    retrain_models: str = Field(default="ensemble", description="Comma-separated models the retrain job trains")
    # The portfolio figures' cache (core.portfolio.analytics_cache): exact by version keys,
    # so the TTL only bounds memory; Redis calls give up after the timeout and compute instead.
    analytics_cache_ttl_seconds: int = Field(default=24 * 3600, ge=1, le=7 * 24 * 3600)
    analytics_cache_timeout_seconds: float = Field(default=0.25, gt=0, le=5, description="Per Redis call")

    # --- operations ----------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    sentry_dsn: str = ""
    otlp_endpoint: str = ""
    rate_limit_enabled: bool = True
    rate_limit_auth: str = Field(default="10/minute", description="Per client address: log-in, sign-up")
    rate_limit_expensive: str = Field(default="30/minute", description="Per token: forecasts, chat, jobs, imports")
    max_request_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Larger request bodies get 413")
    demo_user_email: str = "demo@example.com"
    demo_user_password: SecretStr | None = Field(default=None, description="Generated on first run when unset")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must start with http:// or https://")
        return origins

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES entry {proxy!r} is not an IP address or network (e.g. 10.0.0.7 or 10.0.0.0/24); "
                    "'*' is refused: it would let any client choose the address it is counted under"
                ) from None
        return proxies

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, url: str) -> str:
        if url and not url.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return url

    @field_validator("jwt_secret")
    @classmethod
    def _refuse_placeholder_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None or not secret.get_secret_value():
            return None
        value = secret.get_secret_value()
        if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"JWT_SECRET is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
                "unset it to have one generated, or use a long random value"
            )
        return secret

    @model_validator(mode="after")
    def _check_job_lease(self) -> Settings:
        if self.job_lease_seconds < 2 * self.job_heartbeat_seconds:
            raise ValueError(
                f"JOB_LEASE_SECONDS ({self.job_lease_seconds:g}) must be at least twice JOB_HEARTBEAT_SECONDS "
                f"({self.job_heartbeat_seconds:g}), or a late heartbeat fails a live run"
            )
        return self

    @model_validator(mode="after")
    def _fill_derived_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'stockcast.db'}"
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{REPO_ROOT / 'mlruns' / 'mlflow.db'}"
        if not self.mlflow_ui_url:
            self.mlflow_ui_url = f"http://{self.mlflow_host}:{self.mlflow_port}"
        return self

    # --- derived values ------------------------------------------------------------------
    @property
    def resolved_api_workers(self) -> int:
        return self.api_workers or os.cpu_count() or 1

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def resolved_jwt_secret(self) -> str:
        """The signing secret: the configured one, else one generated once and kept on disk."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return self._kept_secret("jwt_secret", secrets.token_urlsafe(48))

    def resolved_demo_password(self) -> str:
        """The demo user's password: the configured one, else one generated once and kept."""
        if self.demo_user_password is not None and self.demo_user_password.get_secret_value():
            return self.demo_user_password.get_secret_value()
        return self._kept_secret("demo_password", secrets.token_urlsafe(12))

    def _kept_secret(self, filename: str, fresh: str) -> str:
        path = self.data_dir / filename
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Create exclusively so two processes starting together agree on one value.
        try:
            with open(path, "x") as handle:
                handle.write(fresh)
            path.chmod(0o600)
        except FileExistsError:
            return path.read_text().strip()
        return fresh


@lru_cache
def get_settings() -> Settings:
    return Settings()
