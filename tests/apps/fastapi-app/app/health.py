"""Health check endpoints for monitoring."""

from typing import Annotated

import redis
from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.database import get_db

DbSession = Annotated[Session, Depends(get_db)]

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/", status_code=status.HTTP_200_OK)
async def health_check():
    """Basic liveness check: the process serves requests."""
    return {"status": "healthy", "service": "notes-api", "environment": get_settings().environment}


@router.get("/full")
def full_health_check(db: DbSession):
    """Readiness of the database and Redis; 503 when either is down."""
    checks = {"database": "healthy", "redis": "healthy"}
    try:
        db.execute(text("SELECT 1"))
    except Exception:
        checks["database"] = "unhealthy"
    try:
        redis.from_url(get_settings().redis_url, socket_timeout=2).ping()
    except Exception:
        checks["redis"] = "unhealthy"
    healthy = all(value == "healthy" for value in checks.values())
    return JSONResponse(
        {"status": "healthy" if healthy else "unhealthy", "checks": checks},
        status_code=200 if healthy else 503,
    )
