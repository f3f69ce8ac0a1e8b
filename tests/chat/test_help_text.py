"""The chat's help describes the product as it is: every activity type, the pages that exist."""

from __future__ import annotations

import re

from core.chat.documents import build_help_documents
from core.chat.help_text import help_text, page_names
from core.config import REPO_ROOT
from core.db.tables import TransactionType


def help_section(title: str) -> str:
    return next(d.page_content for d in build_help_documents() if d.metadata["title"] == f"Help: {title}")


def test_every_activity_type_of_the_core_enum_is_in_the_csv_help():
    csv_help = help_section("Importing transactions from a CSV file")
    for kind in TransactionType:
        assert re.search(rf"\b{kind.value}\b", csv_help), kind
    assert "deposit" in csv_help and "withdrawal" in csv_help


def test_the_help_names_the_pages_that_exist_and_no_others():
    files = sorted((REPO_ROOT / "pages").glob("*.py"))
    assert page_names() == ["Home", *(re.sub(r"^\d+_", "", f.stem) for f in files)]
    text = help_text()
    for name in page_names():
        assert name in text
    for page in re.findall(r"[Tt]he (\w+) page", text):
        assert page.capitalize() in page_names(), f"the help mentions a {page} page that does not exist"


def test_no_stale_advice():
    text = help_text()
    assert "edit the holding" not in text and "Forecast page" not in text and "Accuracy page" not in text
