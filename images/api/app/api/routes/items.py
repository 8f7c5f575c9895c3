"""Items: stored in PostgreSQL, single-item reads served through Redis.

GET /items/{id} looks in Redis first (X-Cache: hit) and otherwise reads the row and caches it
for CACHE_TTL_SECONDS (X-Cache: miss); every read INCRs a per-item visit counter. DELETE drops
the row and both keys. A read racing a delete can re-cache the old row; the TTL bounds that.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.cache import get_redis, item_key, visits_key
from app.core.db import get_session
from app.core.errors import ErrorBody
from app.models import Item, ItemCreate, ItemPublic, ItemWithVisits

router = APIRouter(prefix="/items", tags=["items"])

SessionDep = Annotated[Session, Depends(get_session)]
RedisDep = Annotated[Redis, Depends(get_redis)]
BIGINT_MAX = 2**63 - 1  # ids, LIMIT and OFFSET are PostgreSQL bigints: larger numbers are a 422, not a 500
ItemId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]

# Error responses the operations really give, so the OpenAPI schema tells clients about them.
UNAVAILABLE = {503: {"model": ErrorBody, "description": "PostgreSQL or Redis unavailable"}}
NOT_FOUND = {404: {"model": ErrorBody, "description": "No item with this id"}}
BODY_ERRORS = {
    400: {"model": ErrorBody, "description": "Body could not be read (e.g. not UTF-8)"},
    413: {"model": ErrorBody, "description": "Body larger than the API's limit (API_MAX_BODY_BYTES)"},
}


def _not_found(item_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"item {item_id} not found")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemPublic, responses={**BODY_ERRORS, **UNAVAILABLE})
def create_item(body: ItemCreate, session: SessionDep) -> Item:
    """Store a new item."""
    item = Item(name=body.name, description=body.description)
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


@router.get("", response_model=list[ItemPublic], responses=UNAVAILABLE)
def list_items(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> list[Item]:
    """Items in creation order (straight from the database: lists are not cached)."""
    return list(session.scalars(select(Item).order_by(Item.id).limit(limit).offset(offset)))


@router.get("/{item_id}", response_model=ItemWithVisits, responses={**NOT_FOUND, **UNAVAILABLE})
def read_item(item_id: ItemId, request: Request, response: Response, session: SessionDep, redis: RedisDep) -> ItemWithVisits:
    """One item plus its visit count, through the Redis cache."""
    cached = redis.get(item_key(item_id))
    if cached is not None:
        item = ItemPublic.model_validate_json(cached)
        response.headers["X-Cache"] = "hit"
    else:
        row = session.get(Item, item_id)
        if row is None:
            raise _not_found(item_id)
        item = ItemPublic.model_validate(row)
        redis.set(item_key(item_id), item.model_dump_json(), ex=request.app.state.settings.cache_ttl_seconds)
        response.headers["X-Cache"] = "miss"
    visits = int(redis.incr(visits_key(item_id)))
    return ItemWithVisits(**item.model_dump(), visits=visits)


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**NOT_FOUND, **UNAVAILABLE})
def delete_item(item_id: ItemId, session: SessionDep, redis: RedisDep) -> Response:
    """Delete the row, then invalidate its cache entry and visit counter."""
    row = session.get(Item, item_id)
    if row is None:
        raise _not_found(item_id)
    session.delete(row)
    session.commit()
    redis.delete(item_key(item_id), visits_key(item_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
