"""Runtime settings.

Everything comes from the environment (no prefix) except passwords, which are read from files
named after the fields in SECRETS_DIR (default /run/secrets) so they never sit in `docker inspect`.
An environment variable still wins over a file, which keeps tests and local runs simple.
"""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL

DEFAULT_SECRETS_DIR = "/run/secrets"


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line and names the setting."""


class Settings(BaseSettings):
    """All settings of the API process and of the migration job."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    app_env: Literal["dev", "prod"] = "prod"
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = "info"
    api_workers: int = Field(1, ge=1)
    api_port: int = Field(8000, ge=1, le=65535)
    api_root_path: str = ""
    # Seconds uvicorn waits for in-flight requests after SIGTERM before closing them.
    api_graceful_shutdown_seconds: int = Field(10, ge=0)
    # Peers whose X-Forwarded-For/-Proto headers are trusted (comma-separated addresses or CIDR
    # networks): the reverse proxy's network. The proxy's own address is not fixed, so a deploy
    # names its network's subnet. Not "*": with "*" uvicorn takes the *leftmost* X-Forwarded-For
    # entry, which the client writes itself (nginx appends to it), so any client could choose the
    # address the API logs (uvicorn/middleware/proxy_headers.py, _TrustedHosts.get_trusted_client_address).
    # With networks it walks the list from the right and stops at the first untrusted hop.
    # Default = uvicorn's own default: loopback only, i.e. headers from elsewhere are ignored.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Largest request body accepted, in bytes; larger ones get 413 (see app.factory).
    api_max_body_bytes: int = Field(1024 * 1024, ge=1)

    postgres_host: str
    postgres_port: int = 5432
    postgres_db: str
    postgres_user: str
    postgres_password: SecretStr
    db_pool_size: int = Field(5, ge=1)
    db_max_overflow: int = Field(5, ge=0)
    db_pool_timeout_seconds: float = Field(5.0, gt=0)
    db_connect_timeout_seconds: int = Field(3, ge=1)

    redis_host: str
    redis_port: int = 6379
    redis_password: SecretStr | None = None
    redis_db: int = Field(0, ge=0)
    redis_timeout_seconds: float = Field(2.0, gt=0)
    cache_ttl_seconds: int = Field(60, ge=1)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        """Comma-separated IP addresses or CIDR networks, or "*" alone (trust every peer)."""
        entries = [entry.strip() for entry in value.split(",")]
        if entries == ["*"]:
            return "*"
        normalised = []
        for entry in entries:
            try:
                # uvicorn parses networks strictly and silently ignores 172.18.0.1/16; pass it 172.18.0.0/16.
                parsed = ipaddress.ip_network(entry, strict=False) if "/" in entry else ipaddress.ip_address(entry)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR network; expected a comma-separated list "
                    "such as 172.18.0.0/16,127.0.0.1, or * alone"
                ) from None
            normalised.append(str(parsed))
        return ",".join(normalised)

    @field_validator("app_env", "log_level", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        """Accept LOG_LEVEL=INFO and APP_ENV=Dev as well."""
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def docs_enabled(self) -> bool:
        """OpenAPI docs are a development aid; production does not advertise its schema."""
        return self.app_env == "dev"

    @property
    def database_url(self) -> URL:
        """SQLAlchemy URL for psycopg 3; URL.create quotes any character in the password."""
        return URL.create(
            "postgresql+psycopg",
            username=self.postgres_user,
            password=self.postgres_password.get_secret_value(),
            host=self.postgres_host,
            port=self.postgres_port,
            database=self.postgres_db,
        )


def _describe(error: ValidationError) -> str:
    """Turn pydantic's multi-line report into one line naming each bad setting."""
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        if item["type"] == "missing" and name.endswith("_PASSWORD"):
            parts.append(f"{name} is required (secret file {name.lower()} in SECRETS_DIR, or environment variable)")
        elif item["type"] == "missing":
            parts.append(f"{name} is required (environment variable)")
        else:
            parts.append(f"{name}: {item['msg']}")
    return "invalid settings: " + "; ".join(parts)


def load_settings(secrets_dir: str | None = None, **overrides: object) -> Settings:
    """Build Settings from the environment and the secrets directory, or raise ConfigError."""
    directory = secrets_dir if secrets_dir is not None else os.environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR)
    # A missing directory is normal outside containers; pydantic-settings would only warn.
    usable = directory if directory and Path(directory).is_dir() else None
    try:
        return Settings(_secrets_dir=usable, **overrides)  # type: ignore[call-arg]
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
