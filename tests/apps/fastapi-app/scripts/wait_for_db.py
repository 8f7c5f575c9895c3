"""Wait for PostgreSQL to be ready before starting the application."""

import os
import sys
import time

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError


def wait_for_db(database_url: str, max_retries: int = 30, retry_interval: float = 2) -> bool:
    """True once the database answers a query, False after max_retries attempts."""
    engine = create_engine(database_url)
    for attempt in range(1, max_retries + 1):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            print(f"Database is ready (attempt {attempt}/{max_retries})", flush=True)
            return True
        except OperationalError as error:
            # The driver's message names host and port, never the password.
            reason = str(error.orig).strip().splitlines()[0] if error.orig else "unreachable"
            print(f"Database not ready (attempt {attempt}/{max_retries}): {reason}", flush=True)
            time.sleep(retry_interval)
        finally:
            engine.dispose()
    return False


if __name__ == "__main__":
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("DATABASE_URL is not set: give the app the database URL (postgresql://user:password@host:5432/db)")
    if not wait_for_db(url):
        sys.exit("Database did not become ready")
