"""ORM models; the schema itself is owned by the Alembic migrations."""

from sqlalchemy import Column, DateTime, Integer, String, Text, func
from sqlalchemy.orm import declarative_base

# Declared here, not in app.database, so that Alembic can import the models with only
# DATABASE_URL set (the migration job needs neither Redis nor the secret key).
Base = declarative_base()


class Note(Base):
    __tablename__ = "notes"

    id = Column(Integer, primary_key=True)
    body = Column(Text, nullable=False)
    source = Column(String(16), nullable=False)  # "api" or "worker": who wrote the row
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
