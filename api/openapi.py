"""The OpenAPI schema, corrected where FastAPI's generated one disagrees with the app, so a
generated client works end to end:

- FastAPI documents every 422 as `HTTPValidationError` (`detail`: a list of field errors). The
  app's own 422s (a `core` InvalidInputError, see api/errors.py) answer `detail` as a sentence
  with the problems in `errors`; the schema is widened to say both.
- Every error status a route can answer is declared (`ErrorMessage`): 400 where there is a
  body, 401 and 403 where a bearer is required (and at log-in), 404 where a thing is named,
  409 on writes, 413 on uploads, 422, 429 where a rate limit applies, 503 (a dependency down)
  everywhere but /ping.
- File parts of multipart bodies say `format: binary` as well as OpenAPI 3.1's
  `contentMediaType`: generators that read only the former otherwise send the file as text.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "anyOf": [
                {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
                {"type": "string"},
            ],
        },
        "errors": {"title": "Errors", "type": "array", "items": {"type": "object"}},
    },
}


ERROR_MESSAGE_SCHEMA: dict[str, Any] = {
    "title": "ErrorMessage",
    "type": "object",
    "properties": {
        "detail": {"title": "Detail", "type": "string"},
        "errors": {"title": "Errors", "type": "array", "items": {"type": "object"}},
    },
    "required": ["detail"],
}
ERROR_DESCRIPTIONS = {
    "400": "The body could not be parsed",
    "401": "Not authenticated: no, a bad, an expired or a revoked token",
    "403": "Authenticated, but the role or the token's scope does not allow it",
    "404": "Not found, or not the caller's",
    "409": "Conflicts with what is stored",
    "413": "Request body too large",
    "422": "Invalid input; `detail` names the field or the problem",
    "429": "Too many requests; see Retry-After",
    "503": "A dependency (the database, MLflow, Redis, the LLM) is unavailable; see Retry-After",
}
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
RATE_LIMITED_PARTS = ("/auth/token", "/forecast", "/chat", "/jobs", "/import")


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can answer (see the module docstring)."""
    if path == "/ping":
        return []
    statuses = ["422", "503"]
    if operation.get("requestBody"):
        statuses.append("400")  # a body that cannot be parsed at all
    if operation.get("security") or path == "/api/auth/token":
        statuses += ["401", "403"]
    if operation.get("security") or "{" in path:
        statuses.append("404")  # a thing named in the path, a query or the body (a saved mapping)
    if method in WRITE_METHODS:
        statuses += ["409", "413"] if "/import" in path else ["409"]
    if any(part in path for part in RATE_LIMITED_PARTS) or (path == "/api/users" and method == "post"):
        statuses.append("429")
    return sorted(statuses)


def declare_errors(schema: dict[str, Any]) -> None:
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorMessage"] = ERROR_MESSAGE_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorMessage"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status], "content": reference})


def mark_binary_parts(schema: dict[str, Any]) -> None:
    for component in schema.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if prop.get("contentMediaType") == "application/octet-stream":
                prop["format"] = "binary"


def install_error_schema(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()  # FastAPI's: builds and caches app.openapi_schema
        components = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in components:
            components["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
        declare_errors(schema)
        mark_binary_parts(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
