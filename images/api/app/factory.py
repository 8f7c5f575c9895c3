"""Application factory.

Kept apart from app.main so tests (and anything else) can build an app from explicit
Settings without the module-level app reading the process environment on import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.routes import health, items
from app.core.cache import make_redis
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.core.errors import http_error_handler, validation_error_handler
from app.core.limits import BodySizeLimitMiddleware
from app.core.slashes import TrailingSlashRedirectMiddleware

log = logging.getLogger("app")


def _unavailable(service: str):
    """Exception handler: a backing service is down, which is a 503, not a 500."""

    async def handler(request: Request, error: Exception) -> JSONResponse:
        log.error("%s unavailable during %s %s: %s", service, request.method, request.url.path, error)
        return JSONResponse({"detail": f"{service} unavailable"}, status_code=503)

    return handler


class RootPathMiddleware:
    """Tell the app it is mounted under API_ROOT_PATH (the proxy serves it at /api and strips that).

    Only links change (Swagger UI's schema URL, OpenAPI servers); routing still sees /health etc.
    Done here rather than by the server so `python -m app` and the dev image's uvicorn agree.
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["root_path"] = self.root_path
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI app with its engine and Redis client (both connect lazily)."""
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # Graceful shutdown: return pooled connections instead of letting the server time them out.
        app.state.engine.dispose()
        app.state.redis.close()

    docs = settings.docs_enabled
    app = FastAPI(
        title="standard-stack API",
        version="0.1.0",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=lifespan,
        redirect_slashes=False,  # TrailingSlashRedirectMiddleware instead: see app.core.slashes
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.sessions = sessionmaker(app.state.engine, expire_on_commit=False)
    app.state.redis = make_redis(settings)

    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    for error_type in (OperationalError, PoolTimeoutError):
        app.add_exception_handler(error_type, _unavailable("database"))
    for error_type in (RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(error_type, _unavailable("redis"))

    app.include_router(health.router)
    app.include_router(items.router)
    app.add_middleware(TrailingSlashRedirectMiddleware, routes=app.router.routes)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    if settings.api_root_path:
        app.add_middleware(RootPathMiddleware, root_path=settings.api_root_path)
    return app
