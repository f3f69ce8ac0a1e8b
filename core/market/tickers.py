"""The one ticker rule every face uses (API, MCP, CLI, pages): a symbol is typed in any case,
with spaces around it if need be, and stored upper-case. The published pattern accepts lower
case too, so a client that checks it (an MCP client, a generated OpenAPI client) sends what
the server would have accepted."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

TICKER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-^=]{0,15}$"
TICKER_EXAMPLE = "AAPL or brk.b"


def normalise_ticker(value: str) -> str:
    """ " aapl " → "AAPL"."""
    return value.strip().upper()


def _normalise_if_text(value: object) -> object:
    return normalise_ticker(value) if isinstance(value, str) else value


# The before-validator runs first whatever its place; listed last, it leaves the pattern in the schema.
Ticker = Annotated[
    str,
    Field(pattern=TICKER_PATTERN, description=f"Exchange symbol in any case, e.g. {TICKER_EXAMPLE}"),
    BeforeValidator(_normalise_if_text),
]
