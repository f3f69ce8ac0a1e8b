"""Settings: documented, parsed from the environment, and refusing bad values by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import REPO_ROOT, Settings


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", Path(REPO_ROOT / ".env.example").read_text(), re.M))
    assert {name.upper() for name in Settings.model_fields} == documented


def test_env_example_values_parse(monkeypatch, tmp_path):
    for line in Path(REPO_ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'stockcast.db'}"
    assert "http://localhost:8501" in settings.cors_origins


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JWT_SECRET", "changeme"),
        ("JWT_SECRET", "short-secret"),
        ("API_PORT", "99999"),
        ("DATA_PROVIDER", "bloomberg"),
        ("DATABASE_URL", "mysql://x/y"),
        ("CORS_ORIGINS", "localhost:8501"),
    ],
)
def test_bad_values_fail_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)
    assert variable.lower() in str(error.value)


def test_secrets_are_generated_once_and_kept(tmp_path):
    first = Settings(_env_file=None, data_dir=tmp_path, jwt_secret=None, demo_user_password=None)
    second = Settings(_env_file=None, data_dir=tmp_path, jwt_secret=None, demo_user_password=None)
    assert first.resolved_jwt_secret() == second.resolved_jwt_secret()
    assert len(first.resolved_jwt_secret()) >= 32
    assert first.resolved_demo_password() == second.resolved_demo_password()
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600


def test_cors_origins_accept_a_comma_list(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings(_env_file=None).cors_origins == ["https://a.example", "https://b.example"]


def test_mlflow_links_follow_the_configured_ui_port_unless_a_url_is_given(monkeypatch):
    monkeypatch.delenv("MLFLOW_UI_URL", raising=False)
    monkeypatch.setenv("MLFLOW_PORT", "5123")
    assert Settings(_env_file=None).mlflow_ui_url == "http://127.0.0.1:5123"
    monkeypatch.setenv("MLFLOW_UI_URL", "https://mlflow.example.com")
    assert Settings(_env_file=None).mlflow_ui_url == "https://mlflow.example.com"
