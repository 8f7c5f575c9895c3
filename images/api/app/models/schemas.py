"""Request and response bodies of the items endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.models.item import NAME_MAX_LENGTH


class ItemCreate(BaseModel):
    """Body of POST /items."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    description: str | None = None


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
