"""limit item descriptions to 2000 characters, keeping longer ones already stored

A CHECK constraint added NOT VALID: PostgreSQL checks every row inserted or updated from now on,
but neither scans nor rejects the rows already there, so no stored description is cut or lost and
the migration holds its ACCESS EXCLUSIVE lock only for a catalog update, not for a table scan.
The API cuts such older descriptions in lists (GET /items) and returns them whole by id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 00:00:00
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The limit as it was when this revision was written; later changes need a revision of their own.
DESCRIPTION_MAX_LENGTH = 2000
CONSTRAINT = "items_description_length"
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    if not context.is_offline_mode():
        # Before the ALTER, under the ACCESS SHARE lock of a plain read: one scan, no writer blocked.
        longer = (
            op.get_bind()
            .execute(
                sa.text("SELECT count(*) FROM items WHERE char_length(description) > :limit"), {"limit": DESCRIPTION_MAX_LENGTH}
            )
            .scalar_one()
        )
        if longer:
            log.warning(
                "%d item(s) have descriptions longer than %d characters: kept whole (the new limit applies to new rows)",
                longer,
                DESCRIPTION_MAX_LENGTH,
            )
    op.create_check_constraint(
        CONSTRAINT, "items", f"char_length(description) <= {DESCRIPTION_MAX_LENGTH}", postgresql_not_valid=True
    )


def downgrade() -> None:
    op.drop_constraint(CONSTRAINT, "items", type_="check")
