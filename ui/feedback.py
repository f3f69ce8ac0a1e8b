"""How pages report problems: invalid input, a `CoreError`, or a surprise.

Pages wrap each section in `with shown_errors("load the holdings"):` so one failing part
shows a message and the rest of the page still renders. Tracebacks go to the log only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import CoreError, InvalidInputError, PermissionDeniedError, ServiceUnavailableError
from ui.tables import readable

logger = logging.getLogger(__name__)


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One readable line per invalid field ("Quantity: must be greater than 0")."""
    lines = []
    for error in exc.errors():
        field = " → ".join(str(part) for part in error.get("loc", ())) or "input"
        message = error.get("msg", "invalid value").removeprefix("Value error, ")
        lines.append(f"{field.replace('_', ' ').capitalize()}: {message}")
    return lines


def show_core_error(exc: CoreError) -> None:
    if isinstance(exc, ServiceUnavailableError):
        st.warning(exc.message)
    elif isinstance(exc, PermissionDeniedError):
        st.error(f"Not allowed: {exc.message}")
    else:
        st.error(exc.message[:1].upper() + exc.message[1:])
    if exc.details and isinstance(exc, InvalidInputError):
        st.dataframe(readable(pd.DataFrame(exc.details)), hide_index=True, width="stretch")


@contextmanager
def shown_errors(action: str) -> Iterator[None]:
    """Run a page section; show what went wrong instead of a traceback."""
    try:
        yield
    except ValidationError as exc:
        st.error("Please correct the form:\n\n" + "\n".join(f"- {line}" for line in describe_validation_error(exc)))
    except CoreError as exc:
        show_core_error(exc)
    except Exception:  # the page edge: log the traceback, show a sentence
        logger.exception("page section failed", extra={"action": action})
        st.error(f"Could not {action}: an unexpected error happened. It was logged for the administrator.")
