"""Settings: environment without prefix, passwords from files, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.config import ConfigError, load_settings
from tests.conftest import API_DIR

REQUIRED_ENV = {"POSTGRES_HOST": "db", "POSTGRES_DB": "app", "POSTGRES_USER": "app", "REDIS_HOST": "cache"}


@pytest.fixture
def required_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED_ENV.items():
        monkeypatch.setenv(name, value)


def write_secret(directory: Path, name: str, value: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(value)


def test_passwords_are_read_from_files_named_after_the_fields(tmp_path: Path, required_env: None) -> None:
    write_secret(tmp_path, "postgres_password", "pg-secret")
    write_secret(tmp_path, "redis_password", "redis-secret")

    settings = load_settings(secrets_dir=str(tmp_path))

    assert settings.postgres_password.get_secret_value() == "pg-secret"
    assert settings.redis_password is not None and settings.redis_password.get_secret_value() == "redis-secret"


def test_secrets_dir_comes_from_the_SECRETS_DIR_variable(
    tmp_path: Path, required_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_secret(tmp_path, "postgres_password", "from-file")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))

    assert load_settings().postgres_password.get_secret_value() == "from-file"


def test_environment_names_have_no_prefix_and_documented_defaults(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("API_ROOT_PATH", "/api")

    settings = load_settings()

    assert (settings.postgres_host, settings.redis_host, settings.api_root_path) == ("db", "cache", "/api")
    assert (settings.app_env, settings.log_level, settings.api_workers, settings.api_port) == ("prod", "info", 1, 8000)
    assert (settings.postgres_port, settings.redis_port, settings.cache_ttl_seconds) == (5432, 6379, 60)
    assert settings.redis_password is None


def test_level_and_environment_names_are_case_insensitive(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("APP_ENV", "Dev")

    settings = load_settings()

    assert (settings.log_level, settings.app_env) == ("warning", "dev")


def test_password_does_not_appear_in_the_settings_repr(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "hunter2")

    assert "hunter2" not in repr(load_settings())


def test_database_url_quotes_special_characters_in_the_password(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "p@ss/w:rd")

    url = load_settings().database_url

    assert url.password == "p@ss/w:rd"
    assert "p%40ss%2Fw%3Ard" in url.render_as_string(hide_password=False)


def test_missing_required_setting_raises_one_line_naming_it(required_env: None) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings()

    assert "POSTGRES_PASSWORD" in str(error.value)
    assert "\n" not in str(error.value)


def test_invalid_value_is_reported_with_its_name(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("APP_ENV", "staging")

    with pytest.raises(ConfigError, match="APP_ENV"):
        load_settings()


def test_server_refuses_to_start_with_one_line_when_a_setting_is_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED_ENV and not k.endswith("_PASSWORD")}
    env["SECRETS_DIR"] = "/nonexistent"

    result = subprocess.run([sys.executable, "-m", "app"], cwd=API_DIR, env=env, capture_output=True, text=True, timeout=30)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "POSTGRES_HOST" in result.stderr and "REDIS_HOST" in result.stderr


def test_forwarded_allow_ips_defaults_to_loopback_only(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")

    assert load_settings().forwarded_allow_ips == "127.0.0.1,::1"


def test_forwarded_allow_ips_takes_addresses_and_networks(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "172.23.0.0/16, 10.0.0.7,fd00::/8")

    assert load_settings().forwarded_allow_ips == "172.23.0.0/16,10.0.0.7,fd00::/8"


def test_forwarded_allow_ips_network_with_host_bits_is_normalised(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn would silently ignore 172.23.0.1/16; it gets 172.23.0.0/16."""
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "172.23.0.1/16")

    assert load_settings().forwarded_allow_ips == "172.23.0.0/16"


def test_forwarded_allow_ips_rejects_a_name_with_the_setting_the_value_and_the_form(
    required_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "proxy,127.0.0.1")

    with pytest.raises(ConfigError) as error:
        load_settings()

    message = str(error.value)
    assert "FORWARDED_ALLOW_IPS" in message and "'proxy'" in message and "CIDR" in message


def test_api_max_body_bytes_defaults_to_1_mib_and_must_be_positive(required_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "pw")
    assert load_settings().api_max_body_bytes == 1024 * 1024

    monkeypatch.setenv("API_MAX_BODY_BYTES", "0")
    with pytest.raises(ConfigError, match="API_MAX_BODY_BYTES"):
        load_settings()
