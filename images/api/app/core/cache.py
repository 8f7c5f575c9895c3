"""Redis client and the cache keys of the items feature."""

from __future__ import annotations

from fastapi import Request
from redis import Redis

from app.core.config import Settings


def make_redis(settings: Settings) -> Redis:
    """Create a pooled client; it connects lazily, and its timeouts keep a dead Redis from hanging requests."""
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    return Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        db=settings.redis_db,
        password=password,
        socket_connect_timeout=settings.redis_timeout_seconds,
        socket_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
        decode_responses=True,
    )


def get_redis(request: Request) -> Redis:
    """FastAPI dependency: the application's shared client."""
    return request.app.state.redis


def item_key(item_id: int) -> str:
    """Cached JSON of one item."""
    return f"items:{item_id}"


def visits_key(item_id: int) -> str:
    """INCR counter of reads of one item."""
    return f"items:{item_id}:visits"


def check(client: Redis) -> dict[str, object]:
    """Readiness probe: PING."""
    client.ping()
    return {"ok": True}
