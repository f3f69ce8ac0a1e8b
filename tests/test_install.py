"""The project is installed (`make test` runs `pip install --no-deps -e .`): a process started
from any working directory imports core and models, as Celery workers and spawned processes do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_core_and_models_import_from_another_directory(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    probe = "import core, models, api, ui, core.jobs.celery_app; print(core.__file__); print(models.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (
        f"import failed from {tmp_path} (is the project installed? `make install`):\n{done.stderr}"
    )
    core_file, models_file = (Path(line) for line in done.stdout.split())
    # The installed project is this checkout (editable), not a stale copy elsewhere.
    assert core_file == REPO_ROOT / "core" / "__init__.py"
    assert models_file == REPO_ROOT / "models" / "__init__.py"
