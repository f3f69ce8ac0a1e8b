"""The OpenAPI schema, corrected where FastAPI's generated one disagrees with the app.

FastAPI documents every 422 as `HTTPValidationError` (`detail`: a list of field errors). The
app's own 422s (a `core` InvalidInputError, see api/errors.py) answer `detail` as a sentence
with the problems in `errors`; the schema is widened to say both, so clients and the schema
fuzzing see the truth.
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


def install_error_schema(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()  # FastAPI's: builds and caches app.openapi_schema
        components = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in components:
            components["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
