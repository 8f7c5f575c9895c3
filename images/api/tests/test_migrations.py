"""Alembic migrations on a real PostgreSQL: up, down, up again, repeated and concurrent."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from app.core.config import Settings
from app.core.db import MIGRATION_LOCK_ID
from app.models.item import DESCRIPTION_LENGTH_CHECK, DESCRIPTION_MAX_LENGTH
from tests.conftest import API_DIR, alembic_config

HEAD = "0002"


def tables(settings: Settings) -> set[str]:
    engine = create_engine(settings.database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def revision(settings: Settings) -> str | None:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_upgrade_head_creates_the_items_table(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")

    assert "items" in tables(settings)
    assert revision(settings) == HEAD


def test_upgrade_head_twice_is_a_no_op(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")
    command.upgrade(alembic_config(settings), "head")

    assert revision(settings) == HEAD


def test_downgrade_to_base_drops_the_table_and_upgrade_recreates_it(settings: Settings) -> None:
    config = alembic_config(settings)
    command.upgrade(config, "head")

    command.downgrade(config, "base")
    assert "items" not in tables(settings)

    command.upgrade(config, "head")
    assert "items" in tables(settings)


# SQLAlchemy reflects the NOT VALID check as CheckConstraint(dialect_options={"not_valid": True}), a
# keyword CheckConstraint does not take (engine/reflection.py, _reflect_check_constraints): it warns
# and drops the option, which autogenerate does not compare anyway.
@pytest.mark.filterwarnings("ignore:Can't validate argument 'dialect_options'")
def test_migration_matches_the_models(settings: Settings) -> None:
    """autogenerate would find nothing to do: the ORM and the migration agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.models import Base

    command.upgrade(alembic_config(settings), "head")
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def cli_env(settings: Settings) -> dict[str, str]:
    """Environment of a migration container: settings as variables, password too (tests only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "REDIS_"))}
    env.update(
        POSTGRES_HOST=settings.postgres_host,
        POSTGRES_PORT=str(settings.postgres_port),
        POSTGRES_DB=settings.postgres_db,
        POSTGRES_USER=settings.postgres_user,
        POSTGRES_PASSWORD=settings.postgres_password.get_secret_value(),
        REDIS_HOST=settings.redis_host,
    )
    return env


def test_several_migration_jobs_started_together_run_one_at_a_time(settings: Settings) -> None:
    """Hold the migrators' advisory lock so every job is waiting on it, then let them all go at once."""
    engine = create_engine(settings.database_url)
    alembic = [sys.executable, "-m", "alembic", "upgrade", "head"]
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            jobs = [
                subprocess.Popen(alembic, cwd=API_DIR, env=cli_env(settings), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for _ in range(3)
            ]
            deadline = time.monotonic() + 30
            while waiting_for_lock(holder) < len(jobs):
                assert all(job.poll() is None for job in jobs), "a job finished without waiting for the lock"
                assert time.monotonic() < deadline, "jobs did not queue on the advisory lock"
                time.sleep(0.1)
            assert "items" not in tables(settings)
            holder.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            holder.commit()
        outputs = [job.communicate(timeout=60)[0].decode() for job in jobs]
    finally:
        engine.dispose()

    assert [job.returncode for job in jobs] == [0, 0, 0], "\n".join(outputs)
    assert revision(settings) == HEAD
    assert sum("Running upgrade  -> 0001" in output for output in outputs) == 1
    assert sum("Running upgrade 0001 -> 0002" in output for output in outputs) == 1


def waiting_for_lock(connection) -> int:
    """Sessions blocked on the migration advisory lock."""
    connection.commit()  # fresh snapshot of pg_locks
    return connection.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar_one()


def test_migration_job_without_settings_fails_with_one_line_naming_them() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "REDIS_"))}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=API_DIR, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "POSTGRES_HOST" in result.stderr


@pytest.mark.parametrize("direction", ["upgrade head", "downgrade 0002:base"])
def test_offline_sql_is_rendered_without_a_database(direction: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "REDIS_"))}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *direction.split(), "--sql"], cwd=API_DIR, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "items" in result.stdout


def test_description_limit_keeps_longer_descriptions_stored_before_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Upgrading never cuts or drops data: older rows stay whole, and the migration says how many there are."""
    config = alembic_config(settings)
    command.upgrade(config, "0001")
    long_text = "z" * (DESCRIPTION_MAX_LENGTH * 3)
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO items (name, description) VALUES ('old', :d)"), {"d": long_text})

        with caplog.at_level(logging.WARNING, logger="alembic"):
            command.upgrade(config, "head")

        with engine.connect() as connection:
            assert connection.execute(text("SELECT description FROM items WHERE name = 'old'")).scalar_one() == long_text
        assert "1 item(s) have descriptions longer than 2000 characters" in caplog.text
    finally:
        engine.dispose()


def test_description_limit_is_enforced_by_the_database_for_new_rows(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO items (name, description) VALUES ('fits', :d)"), {"d": "a" * DESCRIPTION_MAX_LENGTH}
            )
        with pytest.raises(IntegrityError, match=DESCRIPTION_LENGTH_CHECK), engine.begin() as connection:
            connection.execute(
                text("INSERT INTO items (name, description) VALUES ('too long', :d)"), {"d": "a" * (DESCRIPTION_MAX_LENGTH + 1)}
            )
    finally:
        engine.dispose()
