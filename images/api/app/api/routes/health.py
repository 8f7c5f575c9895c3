"""Liveness and readiness.

/health answers without touching anything, so a slow database never gets the container
restarted; /health/ready checks both services and is what a load balancer or deploy waits on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.core import cache, db

router = APIRouter(prefix="/health", tags=["health"])
log = logging.getLogger(__name__)


class PoolUsage(BaseModel):
    size: int
    checked_in: int
    checked_out: int
    overflow: int


class DependencyStatus(BaseModel):
    ok: bool
    error: str | None = None
    pool: PoolUsage | None = None


class Readiness(BaseModel):
    """Body of /health/ready, whether 200 or 503."""

    status: Literal["ready", "unavailable"]
    database: DependencyStatus
    redis: DependencyStatus


@router.get("")
def liveness() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


def _probe(name: str, check: Callable[[Any], dict[str, object]], target: Any) -> dict[str, object]:
    """Run one dependency check, turning any failure into {"ok": false, "error": "<name> unavailable"}.

    The driver's message names internal addresses, ports and the role: it goes to the log only.
    """
    try:
        return check(target)
    except Exception as error:
        log.warning("readiness: %s unavailable: %s: %s", name, type(error).__name__, error)
        return {"ok": False, "error": f"{name} unavailable"}


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "PostgreSQL or Redis does not answer"}},
)
def readiness(request: Request) -> JSONResponse:
    """200 when PostgreSQL and Redis both answer, else 503 with the failing part."""
    state = request.app.state
    body: dict[str, object] = {
        "database": _probe("database", db.check, state.engine),
        "redis": _probe("redis", cache.check, state.redis),
    }
    ready = all(part["ok"] for part in body.values())  # type: ignore[index]
    body = {"status": "ready" if ready else "unavailable", **body}
    return JSONResponse(body, status_code=200 if ready else 503)
