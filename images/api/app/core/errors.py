"""Error responses: short, never an echo of a large request, and true to the OpenAPI schema.

- 422: FastAPI's default handler returns every validation error with the offending `input` in
  full (a 9 MiB `name` came back whole). Here each `input`, and each key in `loc` (an unknown
  field's name is client data too), is cut to INPUT_EXCERPT_CHARS characters, and at most
  MAX_ERRORS errors are listed.
- 405: Starlette answers from the first route that matches the path, so `OPTIONS /items` said
  `Allow: POST` although GET is served there too (starlette/routing.py, Route.handle). Here the
  `Allow` header lists the methods of every operation on that path.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
INPUT_EXCERPT_CHARS = 100
MAX_ERRORS = 10
ELLIPSIS = "…"


class ErrorBody(BaseModel):
    """Body of every error response except 422."""

    detail: str


def _encodable(text: str) -> str:
    """Lone surrogates (JSON "\\ud800") cannot be written as UTF-8: spell them as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def excerpt(value: Any) -> Any:
    """The value itself when short, else its first INPUT_EXCERPT_CHARS characters (as JSON text) and '…'."""
    if isinstance(value, str):
        short = value if len(value) <= INPUT_EXCERPT_CHARS else value[:INPUT_EXCERPT_CHARS] + ELLIPSIS
        return _encodable(short)
    try:
        text = json.dumps(jsonable_encoder(value), ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) <= INPUT_EXCERPT_CHARS and _encodable(text) == text:
        return value
    return _encodable(text[:INPUT_EXCERPT_CHARS] + (ELLIPSIS if len(text) > INPUT_EXCERPT_CHARS else ""))


def _short_error(error: dict[str, Any]) -> dict[str, Any]:
    short = dict(error)
    short["loc"] = [excerpt(part) if isinstance(part, str) else part for part in error.get("loc", ())]
    if "input" in error:
        short["input"] = excerpt(error["input"])
    if "ctx" in error:
        short["ctx"] = {key: excerpt(value) for key, value in error["ctx"].items()}
    return short


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """422 with FastAPI's shape ({"detail": [{type, loc, msg, input, ctx}]}), inputs shortened."""
    assert isinstance(error, RequestValidationError)
    errors = [_short_error(item) for item in error.errors()[:MAX_ERRORS]]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def http_error_handler(request: Request, error: Exception) -> JSONResponse:
    """405 whose Allow header names every method served at this path; other HTTP errors as usual."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code != 405:
        return await http_exception_handler(request, error)
    headers = dict(error.headers or {})
    allowed = _methods_served_at(request)
    if allowed:
        headers["Allow"] = ", ".join(allowed)
    return JSONResponse({"detail": error.detail}, status_code=405, headers=headers)


def _methods_served_at(request: Request) -> list[str]:
    """Methods of every operation whose path template matches the request's path (HEAD with GET).

    Read from the app's OpenAPI paths (public, cached by FastAPI) rather than the router, whose
    included routers are internal structures since FastAPI 0.16x.
    """
    app = request.app
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = []
        for template, operations in app.openapi().get("paths", {}).items():
            methods = {method.upper() for method in operations if method.upper() in HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")  # Starlette serves HEAD wherever GET is served
            table.append((compile_path(template)[0], sorted(methods)))
        app.state.allow_table = table
    path, root = request.scope["path"], request.scope.get("root_path", "")
    if root and path.startswith(root + "/"):  # as Starlette's router does when the server kept the prefix
        path = path[len(root) :]
    return sorted({method for regex, methods in table if regex.match(path) for method in methods})
