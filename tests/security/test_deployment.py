"""The deployment files agree with the code (Docker itself cannot run here)."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.config import REPO_ROOT, Settings

# Read by uvicorn or by the services' own images, not by Settings.
NOT_SETTINGS = {"FORWARDED_ALLOW_IPS", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "MLFLOW_DISABLE_TELEMETRY"}
NOT_SETTINGS |= {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}


def _compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service():
    assert set(_compose()["services"]) >= {"api", "ui", "scheduler", "worker", "postgres", "redis", "mlflow"}


def test_compose_environment_names_are_settings_fields():
    fields = {name.upper() for name in Settings.model_fields}
    for name, service in _compose()["services"].items():
        unknown = set(service.get("environment", {})) - fields - NOT_SETTINGS
        assert not unknown, f"{name}: {sorted(unknown)} are not fields of core.config.Settings"


def test_dockerfile_is_multi_stage_non_root_with_health_check_and_cpu_torch():
    text = Path(REPO_ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "\nUSER stockcast" in text
    assert "HEALTHCHECK" in text and "/health" in text
    install = next(line for line in text.splitlines() if "download.pytorch.org/whl/cpu" in line)
    assert "-r /tmp/requirements.txt" in text.split(install, 1)[1].splitlines()[1]  # same pip command
