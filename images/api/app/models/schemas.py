"""Request and response bodies of the items endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.models.item import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH


def _without_nul(value: str) -> str:
    # PostgreSQL text cannot hold U+0000; unchecked, the INSERT fails with a 500.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


# The pattern puts the same rule in the OpenAPI schema, so clients (and schemathesis) know it.
NO_NUL = {"pattern": "^[^\\x00]*$"}
StoredText = Annotated[str, AfterValidator(_without_nul), Field(json_schema_extra=NO_NUL)]


class ItemCreate(BaseModel):
    """Body of POST /items."""

    model_config = ConfigDict(extra="forbid")

    name: StoredText = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    description: Annotated[StoredText, Field(max_length=DESCRIPTION_MAX_LENGTH)] | None = None


class ItemPublic(BaseModel):
    """An item as stored; also the shape kept in the Redis cache."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    created_at: datetime


class ItemWithVisits(ItemPublic):
    """GET /items/{id}: the item plus how many times it has been read."""

    visits: int
