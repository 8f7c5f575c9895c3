"""The items table. Alembic migrations, not create_all, create it in every environment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME_MAX_LENGTH = 200
# Characters, as PostgreSQL's char_length and pydantic's max_length count them. Bounds what one item
# costs to store, send and hold in memory (a list page holds at most LIST_LIMIT_MAX of them).
DESCRIPTION_MAX_LENGTH = 2000
DESCRIPTION_LENGTH_CHECK = "items_description_length"


class Base(DeclarativeBase):
    """Metadata shared with alembic/env.py."""


class Item(Base):
    """One stored item."""

    __tablename__ = "items"
    # Added NOT VALID by migration 0002: new rows are checked, rows stored before the limit are kept.
    __table_args__ = (
        CheckConstraint(
            f"char_length(description) <= {DESCRIPTION_MAX_LENGTH}",
            name=DESCRIPTION_LENGTH_CHECK,
            postgresql_not_valid=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
