"""Tracing (OpenTelemetry, when OTLP_ENDPOINT is set) and error reporting (Sentry, when
SENTRY_DSN is set). Both libraries are imported only when configured, so a deployment
without them pays nothing. Entry points call these once; calling again is harmless.

`configure_tracing` returns the tracer provider (or None); the API instruments FastAPI with
it, the CLI and jobs can wrap work in `tracer(settings, __name__).start_as_current_span(...)`.
The provider is deliberately not installed as OpenTelemetry's global one: FastAPI traces by
itself whenever a global provider exists, which would double every request span.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from core.config import Settings
from core.redaction import redact_text, redact_value

logger = logging.getLogger(__name__)

SERVICE_NAME = "stockcast"


def configure_tracing(settings: Settings, *, service: str = "api") -> Any | None:
    """An OTLP/HTTP-exporting TracerProvider for `settings.otlp_endpoint`, or None when unset."""
    if not settings.otlp_endpoint:
        return None
    return _tracer_provider(settings.otlp_endpoint, service)


@lru_cache
def _tracer_provider(endpoint: str, service: str) -> Any:
    # One provider (one export thread) per endpoint and process.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    traces_url = endpoint.rstrip("/")
    if not traces_url.endswith("/v1/traces"):
        traces_url += "/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": f"{SERVICE_NAME}-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url, timeout=5)))
    logger.info("tracing enabled", extra={"service": service})
    return provider


def tracer(settings: Settings, name: str, *, service: str = "jobs") -> Any:
    """A tracer exporting to OTLP_ENDPOINT, or a no-op one when tracing is not configured."""
    provider = configure_tracing(settings, service=service)
    if provider is None:
        from opentelemetry.trace import NoOpTracer

        return NoOpTracer()
    return provider.get_tracer(name)


def redact_error_report(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Sentry's `before_send`: exception texts, messages and breadcrumbs through core.redaction."""
    for exception in event.get("exception", {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = redact_text(exception["value"])
    for key in ("message", "logentry", "breadcrumbs", "extra"):
        if key in event:
            event[key] = redact_value(event[key])
    return event


def configure_sentry(settings: Settings, *, environment: str = "production") -> bool:
    """Initialise Sentry when SENTRY_DSN is set; True when it was."""
    if not settings.sentry_dsn:
        return False
    return _init_sentry(settings.sentry_dsn, environment)


@lru_cache
def _init_sentry(dsn: str, environment: str) -> bool:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,  # no headers, cookies or bodies: they carry tokens and passwords
        include_local_variables=False,  # a frame's locals may hold a password or a hash
        before_send=redact_error_report,
        traces_sample_rate=0.0,  # tracing is OpenTelemetry's job
    )
    logger.info("sentry enabled")
    return True
