"""Request body size limit (API_MAX_BODY_BYTES); uvicorn has none of its own.

A request that announces a larger Content-Length is answered 413 at once, before the app runs
and before any of the body is read. A body without Content-Length (chunked) is counted as the
app reads it; past the limit reading fails with a 413 HTTPException, which FastAPI passes on
unchanged from its body parsing (fastapi/routing.py, get_request_handler: `except HTTPException:
raise`) to the app's HTTP error handler.

FastAPI's own `max_body_size` (fastapi/_body_limit.py, AppBodyLimitMiddleware) is not used: for a
too-large Content-Length Starlette replaces whatever response the app sends with a text/plain
413 (starlette/middleware/body_limit.py, RequestBodyLimitResponder.send_with_limit), while the
OpenAPI schema promises JSON errors.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_detail(limit: int) -> str:
    return f"request body larger than {limit} bytes"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large_detail(limit))


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = Headers(scope=scope).get("content-length")
        if announced is not None and announced.isdigit() and int(announced) > self.max_bytes:
            response = JSONResponse({"detail": too_large_detail(self.max_bytes)}, status_code=413)
            await response(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)
