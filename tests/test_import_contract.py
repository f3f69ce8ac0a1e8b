"""The import contract (pyproject.toml, `make lint`): the tree keeps it, and a forbidden import
added to a copy of the tree breaks it, so the check can fail."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("ui", "api", "mcp_server", "core", "models")
FACES = {"api", "mcp_server"}  # what a page must not import (pages sit on ui, core, models)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages and the contract, copied: a playground for imports the tree must refuse."""
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(root: Path, module: str, line: str) -> None:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_tree_keeps_the_import_contract():
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "verdict"),
    [
        (
            "core.market.repository",
            "from core.portfolio.schemas import StockRead",
            "core.market is not allowed to import core.portfolio",
        ),
        ("models.naive", "from core.config import get_settings", "models is not allowed to import core"),
        ("core.jobs.summaries", "import streamlit", "core is not allowed to import streamlit"),
        ("api.deps", "from mcp_server.gate import current_caller", "api is not allowed to import mcp_server"),
        ("models.ensemble", "from models.catalog import list_models", "models.ensemble is not allowed to import"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tree_copy: Path, module: str, line: str, verdict: str):
    assert lint_imports(tree_copy).returncode == 0  # the copy keeps it, until the import below
    add_import(tree_copy, module, line)
    result = lint_imports(tree_copy)
    assert result.returncode == 1
    assert verdict in result.stdout


def test_pages_import_no_other_face():
    """pages/ is no package (Streamlit runs its files), so import-linter cannot see it."""
    offending = []
    for page in sorted((REPO_ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(page.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offending += [f"{page.name}: {name}" for name in names if name.split(".")[0] in FACES]
    assert offending == []
