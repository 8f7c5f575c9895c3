"""Trailing-slash redirects that stay under the API's root path and never echo the client's Host.

Starlette's own redirect (Router, redirect_slashes) builds an absolute URL from the request's Host
header and its path without the root path: behind the proxy, which strips /api, `GET /api/items/`
was sent to `http://<client's Host>/items`, the web app's 404. Here the router's redirect is off
(FastAPI(redirect_slashes=False)) and this middleware answers instead, with a path-only Location
made of the root path and a route path that exists.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


class TrailingSlashRedirectMiddleware:
    """`GET /items/` → 307, Location `/api/items` (root path `/api`), when only `/items` is served."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _served(self, scope: Scope, path: str) -> bool:
        probe = {**scope, "path": path}
        return any(route.matches(probe)[0] is not Match.NONE for route in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.endswith("/") and path.strip("/") and not self._served(scope, path):
            target = path.rstrip("/")
            if self._served(scope, target):
                root = scope.get("root_path", "").rstrip("/")
                # A server that keeps the prefix in the path (uvicorn --root-path) already has it.
                location = target if root and target.startswith(root + "/") else root + target
                query = scope.get("query_string", b"").decode("latin-1")
                response = RedirectResponse(location + (f"?{query}" if query else ""), status_code=307)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
