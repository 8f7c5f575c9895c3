"""Items: stored in PostgreSQL, single-item reads served through Redis.

GET /items/{id} looks in Redis first (X-Cache: hit) and otherwise reads the row and caches it
for CACHE_TTL_SECONDS (X-Cache: miss); every read INCRs a per-item visit counter. DELETE drops
the row and both keys. A read racing a delete can re-cache the old row; the TTL bounds that.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache import get_redis, item_key, visits_key
from app.core.db import get_session
from app.core.errors import ErrorBody
from app.models import Item, ItemCreate, ItemPublic, ItemWithVisits
from app.models.item import DESCRIPTION_MAX_LENGTH

router = APIRouter(prefix="/items", tags=["items"])

SessionDep = Annotated[Session, Depends(get_session)]
RedisDep = Annotated[Redis, Depends(get_redis)]
BIGINT_MAX = 2**63 - 1  # ids, LIMIT and OFFSET are PostgreSQL bigints: larger numbers are a 422, not a 500
ItemId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
# Largest page: LIST_LIMIT_MAX items of at most NAME_MAX_LENGTH + DESCRIPTION_MAX_LENGTH characters each.
LIST_LIMIT_MAX = 200

# Error responses the operations really give, so the OpenAPI schema tells clients about them.
UNAVAILABLE = {503: {"model": ErrorBody, "description": "PostgreSQL or Redis unavailable"}}
NOT_FOUND = {404: {"model": ErrorBody, "description": "No item with this id"}}
BODY_ERRORS = {
    400: {"model": ErrorBody, "description": "Body could not be read (e.g. not UTF-8)"},
    413: {"model": ErrorBody, "description": "Body larger than the API's limit (API_MAX_BODY_BYTES)"},
}


LIST_DESCRIPTION = f"""A page of items ordered by id, straight from the database (lists are not cached).

Newest first: `?order=desc`, then `?order=desc&before=<id of the page's last item>` for the next page
(`?after=<last id>` in creation order). Each page is one index range scan that reads only the rows it
returns, whatever the table holds; `offset` makes the database read every skipped row too.

Descriptions are at most {DESCRIPTION_MAX_LENGTH} characters. Ones stored before that limit may be
longer: lists cut them to {DESCRIPTION_MAX_LENGTH} characters, `GET /items/{{item_id}}` returns them whole."""


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


@router.get("", response_model=list[ItemPublic], responses=UNAVAILABLE, description=LIST_DESCRIPTION)
def list_items(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX, description="Items per page.")] = 100,
    order: Annotated[
        Literal["asc", "desc"], Query(description="`asc`: oldest first (creation order); `desc`: newest first.")
    ] = "asc",
    before: Annotated[
        int | None, Query(ge=0, le=BIGINT_MAX, description="Only items with a smaller id (cursor: the last id of a `desc` page).")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, le=BIGINT_MAX, description="Only items with a larger id (cursor: the last id of an `asc` page).")
    ] = None,
    offset: Annotated[
        int,
        Query(
            ge=0,
            le=BIGINT_MAX,
            deprecated=True,
            description="Items skipped first. The database still reads every skipped row: page with a cursor instead.",
        ),
    ] = 0,
) -> list[ItemPublic]:
    """A page of items by id, straight from the database (lists are not cached): one index range scan."""
    query = select(
        Item.id, Item.name, func.substr(Item.description, 1, DESCRIPTION_MAX_LENGTH).label("description"), Item.created_at
    )
    if before is not None:
        query = query.where(Item.id < before)
    if after is not None:
        query = query.where(Item.id > after)
    query = query.order_by(Item.id.desc() if order == "desc" else Item.id).limit(limit).offset(offset)
    return [ItemPublic.model_validate(row) for row in session.execute(query)]


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
