"""Fixtures: a real PostgreSQL and a real Redis, started from the local Debian binaries.

pytest-postgresql starts one server per session and gives every test its own database
cloned from a template; pytest-redis starts one server and `redisdb` empties it after each
test. Nothing is mocked: the app under test talks to both over TCP like in production.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from psycopg import Connection
from pytest_postgresql import factories as pg_factories
from pytest_postgresql.executor import PostgreSQLExecutor
from pytest_redis import factories as redis_factories
from pytest_redis.executor import RedisExecutor
from redis import Redis

from app.core.config import Settings, load_settings
from app.factory import create_app

API_DIR = Path(__file__).resolve().parent.parent
PG_CTL = Path(__file__).resolve().parent / "bin" / "pg_ctl"
TEST_PASSWORD = "not-checked-under-trust-auth"
_OWN_BASETEMP = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Give this run its own temporary root unless --basetemp was given.

    The servers' data directories live there. Under the shared /tmp/pytest-of-<user>, any other
    pytest run of the same user (another suite on the machine) prunes all but the newest three
    runs and would delete them mid-session.
    """
    if config.option.basetemp is None:
        config.option.basetemp = tempfile.mkdtemp(prefix="standard-stack-api-tests-")
        config.stash[_OWN_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_OWN_BASETEMP, None)
    if own:
        shutil.rmtree(own, ignore_errors=True)


postgresql_proc = pg_factories.postgresql_proc(executable=str(PG_CTL))
postgresql = pg_factories.postgresql("postgresql_proc")
redis_proc = redis_factories.redis_proc(executable=shutil.which("redis-server") or "/usr/bin/redis-server")
redisdb = redis_factories.redisdb("redis_proc")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the caller's shell (POSTGRES_*, REDIS_*, /run/secrets) out of every test."""
    for name in list(os.environ):
        if name.startswith(("POSTGRES_", "REDIS_", "API_", "APP_", "CACHE_", "DB_", "LOG_", "FORWARDED_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "no-secrets"))


def settings_for(pg: PostgreSQLExecutor, dbname: str, redis: RedisExecutor, **overrides: object) -> Settings:
    """Settings pointing at the test servers, as the API would read them."""
    values: dict[str, object] = {
        "postgres_host": pg.host,
        "postgres_port": pg.port,
        "postgres_db": dbname,
        "postgres_user": pg.user,
        "postgres_password": TEST_PASSWORD,
        "redis_host": redis.host,
        "redis_port": redis.port,
    }
    values.update(overrides)
    return load_settings(secrets_dir="", **values)


def alembic_config(settings: Settings) -> Config:
    """alembic.ini of the image, handed explicit settings instead of the environment."""
    config = Config(str(API_DIR / "alembic.ini"))
    config.attributes["settings"] = settings
    config.attributes["configure_logging"] = False
    return config


@pytest.fixture
def settings(postgresql_proc: PostgreSQLExecutor, postgresql: Connection, redis_proc: RedisExecutor, redisdb: Redis) -> Settings:
    """Settings for a fresh, empty database of this test and an emptied Redis."""
    return settings_for(postgresql_proc, postgresql.info.dbname, redis_proc)


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    """The test database upgraded to head, as the migration job does before the API starts."""
    command.upgrade(alembic_config(settings), "head")
    return settings


@pytest.fixture
def client(migrated: Settings) -> Iterator[TestClient]:
    """HTTP client for an app on a migrated database and the test Redis."""
    with TestClient(create_app(migrated)) as test_client:
        yield test_client
