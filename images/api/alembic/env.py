"""Alembic environment: same settings as the API, and one migrator at a time.

Several migration jobs may start together (replicas, overlapping deploys). Each takes a
PostgreSQL session advisory lock before reading the current revision, so the others wait and
then find the schema already at head. The lock is released on unlock or when the connection
closes, so a crashed job never leaves it behind.
"""

from __future__ import annotations

import sys
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool, text

from app.core.config import ConfigError, Settings, load_settings
from app.core.db import MIGRATION_LOCK_ID
from app.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _settings() -> Settings:
    """Settings handed in by a caller (tests), else read like the API reads them."""
    given = config.attributes.get("settings")
    if given is not None:
        return given
    try:
        return load_settings()
    except ConfigError as error:
        sys.exit(f"alembic: {error}")


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the DDL; needs no settings and no database."""
    context.configure(dialect_name="postgresql", target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate under the advisory lock, all revisions in one transaction (PostgreSQL has transactional DDL)."""
    engine = create_engine(_settings().database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
            try:
                context.configure(connection=connection, target_metadata=target_metadata)
                with context.begin_transaction():
                    context.run_migrations()
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
