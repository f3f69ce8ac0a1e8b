"""The ORM tables (SQLAlchemy 2.0 typed declarative). Alembic's metadata comes from here.

Table names are singular. Money and quantities are floats (double precision): analytics run
in pandas/numpy, and a tracker's precision needs are well inside a double's 15 digits.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no zone; we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    # VARCHAR + CHECK rather than a native PostgreSQL enum: portable and easy to migrate.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Role(enum.StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"


class TransactionType(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"
    DIVIDEND = "dividend"
    FEE = "fee"
    DEPOSIT = "deposit"  # cash in: no ticker, `amount` (revision 0004)
    WITHDRAWAL = "withdrawal"  # cash out: no ticker, `amount` (revision 0004)


class AlertKind(enum.StrEnum):
    ABOVE = "above"
    BELOW = "below"
    MOVE_PCT = "move_pct"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.ANALYST)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Bumped by a password, role or activation change: log-in JWTs carrying an older one are refused.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    holdings: Mapped[list[Stock]] = relationship(back_populates="owner", passive_deletes=True)


class Stock(Base):
    """A holding in a user's portfolio: one row per owner and ticker."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("owner_id", "ticker", name="uq_stock_owner_ticker"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("avg_cost >= 0", name="avg_cost_not_negative"),
        {"sqlite_autoincrement": True},  # ids never reused (migration 0013)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    ticker: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[float] = mapped_column(Float)
    avg_cost: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    opened_at: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(back_populates="holdings")


class Price(Base):
    """One daily OHLCV bar. (ticker, date) is unique and is the index every read uses."""

    __tablename__ = "price"
    __table_args__ = (UniqueConstraint("ticker", "date", name="uq_price_ticker_date"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticker: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(16), default="bundled")


class PredictionHistory(Base):
    """A forecast the app showed, kept to be scored once the target date's price is known."""

    __tablename__ = "prediction_history"
    __table_args__ = (
        Index("ix_prediction_history_ticker_model_target", "ticker", "model", "target_date"),
        Index("ix_prediction_history_pending", "realised_value", "target_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    ticker: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str | None] = mapped_column(String(64))
    made_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    origin_date: Mapped[dt.date] = mapped_column(Date)
    target_date: Mapped[dt.date] = mapped_column(Date)
    horizon_step: Mapped[int] = mapped_column(Integer)
    predicted_value: Mapped[float] = mapped_column(Float)
    lo80: Mapped[float | None] = mapped_column(Float)
    hi80: Mapped[float | None] = mapped_column(Float)
    lo95: Mapped[float | None] = mapped_column(Float)
    hi95: Mapped[float | None] = mapped_column(Float)
    realised_value: Mapped[float | None] = mapped_column(Float)
    realised_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # True for forecasts made by the replay (walk-forward as if live), not shown to anyone.
    replayed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ChatHistory(Base):
    __tablename__ = "chat_history"
    __table_args__ = (
        Index("ix_chat_history_user_created", "user_id", "created_at"),
        {"sqlite_autoincrement": True},  # ids never reused (migration 0013)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


# --- market data and the ledger (revision 0002) ---------------------------------------------


class Ticker(Base):
    __tablename__ = "ticker"

    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    source: Mapped[str] = mapped_column(String(16), default="bundled")


class Transaction(Base):
    __tablename__ = "transaction"
    __table_args__ = (
        Index("ix_transaction_owner_date", "owner_id", "date"),
        Index("ix_transaction_owner_ticker_date", "owner_id", "ticker", "date"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        {"sqlite_autoincrement": True},  # ids never reused (migration 0013)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    ticker: Mapped[str | None] = mapped_column(String(16))  # None for deposits and withdrawals
    type: Mapped[TransactionType] = mapped_column(_enum(TransactionType, "transaction_type"))
    quantity: Mapped[float] = mapped_column(Float, default=0.0)
    price: Mapped[float] = mapped_column(Float, default=0.0)
    fee: Mapped[float] = mapped_column(Float, default=0.0)
    # Money moved by a deposit, withdrawal, fee or total dividend (revision 0004).
    amount: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LedgerVersion(Base):
    """A random token replaced by every write to an owner's ledger: the analytics cache's key
    (random, so a rolled-back write or a reused owner id can never bring an old key back)."""

    __tablename__ = "ledger_version"

    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class PriceVersion(Base):
    """A random token replaced by every write of a ticker's prices or metadata (see LedgerVersion)."""

    __tablename__ = "price_version"

    ticker: Mapped[str] = mapped_column(String(16), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class WatchlistItem(Base):
    __tablename__ = "watchlist_item"
    __table_args__ = (
        UniqueConstraint("owner_id", "ticker", name="uq_watchlist_item_owner_ticker"),
        {"sqlite_autoincrement": True},  # ids never reused (migration 0013)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    ticker: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PriceAlert(Base):
    __tablename__ = "price_alert"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused (migration 0013)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    ticker: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "alert_kind"))
    threshold: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    triggered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    triggered_date: Mapped[dt.date | None] = mapped_column(Date)
    triggered_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ImportMapping(Base):
    """A user's saved column mapping for a broker's CSV export (their header → ours)."""

    __tablename__ = "import_mapping"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_import_mapping_owner_name"),
        {"sqlite_autoincrement": True},  # ids never reused (migration 0013)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    columns: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


# --- jobs and operations (revision 0003) ----------------------------------------------------


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    triggered_by: Mapped[str] = mapped_column(String(64), default="manual")
    # Renewed while the run works (revision 0014): a running run silent for the lease is failed.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class UserTask(Base):
    """A user's long request (a projection, a big import) run in the background of an API
    process (revision 0015): any process answers a poll from this row. `heartbeat_at` is
    renewed while its process lives; a queued or running task silent for the lease is failed."""

    __tablename__ = "user_task"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are shown to users: never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "user_task_status"), index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class JobLock(Base):
    """A lock row: how jobs exclude each other on SQLite (PostgreSQL uses advisory locks).
    `expires_at` is the holder's lease, renewed by its heartbeat."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


# --- dashboard sessions (revision 0005) -------------------------------------------------------


class DashboardSession(Base):
    """A dashboard log-in that survives a refresh: the browser's cookie names it by a random
    token whose SHA-256 is stored here (a copy of this table opens no account)."""

    __tablename__ = "dashboard_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # set when the cookie is issued
    # One-time hand-over code the browser trades for the HttpOnly cookie (cleared once used).
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


# --- the skill of the forecast shown (revision 0008) ----------------------------------------


class ForecastSkillRecord(Base):
    """A cached skill backtest of one exact forecast configuration (model set, weights,
    training window, horizon, fold plan) on one version of a ticker's prices."""

    __tablename__ = "forecast_skill"
    __table_args__ = (Index("ix_forecast_skill_ticker_model", "ticker", "model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_key: Mapped[str] = mapped_column(String(64), unique=True)
    ticker: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    horizon: Mapped[int] = mapped_column(Integer)
    folds: Mapped[int] = mapped_column(Integer)
    first_origin: Mapped[dt.date] = mapped_column(Date)
    last_origin: Mapped[dt.date] = mapped_column(Date)
    data_end: Mapped[dt.date] = mapped_column(Date)
    mase: Mapped[float | None] = mapped_column(Float)
    naive_mase: Mapped[float | None] = mapped_column(Float)
    skill_vs_naive: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    coverage_80: Mapped[float | None] = mapped_column(Float)
    coverage_95: Mapped[float | None] = mapped_column(Float)
    # 1 − Winkler (80 + 95) / naive's on the same folds, and its DM p (revision 0009).
    interval_skill: Mapped[float | None] = mapped_column(Float)
    interval_p_value: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[str | None] = mapped_column(String(64))
    run_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


# --- personal access tokens (revision 0006) -------------------------------------------------


class PersonalAccessToken(Base):
    """A long-lived credential for scripts and MCP clients; only the secret's SHA-256 is kept."""

    __tablename__ = "personal_access_token"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused (migration 0013)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
