"""The chat's help text, filled in from what the product does: the activity types are core's
enum and the page names are the dashboard's page files, so neither can go stale."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from core.config import REPO_ROOT
from core.db.tables import TransactionType

HELP_TEMPLATE = Path(__file__).with_name("help.md")
PAGES_DIR = REPO_ROOT / "pages"


def spoken_list(items: list[str], conjunction: str = "or") -> str:
    """["a", "b", "c"] → "a, b or c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def activity_types() -> list[str]:
    """Every ledger type a CSV row or a form may carry, in the enum's order."""
    return [kind.value for kind in TransactionType]


def page_names(directory: Path = PAGES_DIR) -> list[str]:
    """The dashboard's pages as the sidebar names them ("3_Predictions.py" → "Predictions")."""
    names = [re.sub(r"^\d+_", "", path.stem).replace("_", " ") for path in sorted(directory.glob("*.py"))]
    return ["Home", *names] if names else []


@lru_cache(maxsize=1)
def help_text() -> str:
    pages = page_names()
    return HELP_TEMPLATE.read_text(encoding="utf-8").format(
        activity_types=spoken_list(activity_types()),
        pages=spoken_list(pages, "and") if pages else "listed in the sidebar",
    )
