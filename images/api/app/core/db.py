"""SQLAlchemy engine and sessions (sync, psycopg 3).

Route handlers are plain `def`, so FastAPI runs them in its thread pool and a blocking driver
is fine; the pool is sized per worker process.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings

# Key of the PostgreSQL advisory lock that serialises migration jobs (alembic/env.py).
# Arbitrary, shared by every migrator of this application: "stdstak" in ASCII.
MIGRATION_LOCK_ID = 0x7374647374616B


def make_engine(settings: Settings) -> Engine:
    """Create the engine; no connection is opened until first use."""
    return create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,  # survive a Postgres restart without serving one failed request per stale connection
        connect_args={"connect_timeout": settings.db_connect_timeout_seconds, "application_name": "standard-stack-api"},
    )


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


def check(engine: Engine) -> dict[str, object]:
    """Readiness probe: run a trivial query and report this worker's pool usage.

    SQLAlchemy counts overflow from -size upwards; it is reported as connections beyond `size`.
    """
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    pool = engine.pool
    return {
        "ok": True,
        "pool": {
            "size": pool.size(),  # type: ignore[attr-defined]
            "checked_in": pool.checkedin(),  # type: ignore[attr-defined]
            "checked_out": pool.checkedout(),  # type: ignore[attr-defined]
            "overflow": max(pool.overflow(), 0),  # type: ignore[attr-defined]
        },
    }
