"""A minimal Docker Engine API client over the unix socket, plus BuildKit builds through the CLI.

Why the raw API and not `docker run`/`docker create` flags: pulumi-docker (terraform-provider-docker
underneath) talks to the Engine API, and the CLI adds defaults of its own (for example it leaves
`HostConfig.Init` unset unless `--init` is given, where the provider always sends `Init=false`).
Building the same JSON bodies the provider builds keeps the harness honest about what the engine
accepts and rejects. Builds are the exception: the provider drives BuildKit through the API's
session protocol, which only the CLI (`DOCKER_BUILDKIT=1 docker build`) reproduces here.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
from typing import Any

from standard_stack.engine import UnixConnection
from standard_stack.one_shot import demultiplex

DOCKER_CLI = os.environ.get("STANDARD_STACK_DOCKER_CLI", "/usr/bin/docker")
SOCKET_PATH = os.environ.get("STANDARD_STACK_DOCKER_SOCKET", "/var/run/docker.sock")
API_VERSION = "v1.41"


class EngineError(Exception):
    """The engine refused a request; `message` is the engine's own error text."""

    def __init__(self, status: int, message: str, what: str = ""):
        self.status = status
        self.message = message
        super().__init__(f"{what}: {message}" if what else message)


def request(
    method: str,
    path: str,
    *,
    query: dict | None = None,
    body: Any = None,
    raw_body: bytes | None = None,
    content_type: str = "application/json",
    timeout: float | None = 120,
    what: str = "",
) -> tuple[int, bytes]:
    """Send one request; return (status, body). Raises EngineError on 4xx/5xx."""
    url = f"/{API_VERSION}{path}"
    if query:
        url += "?" + urllib.parse.urlencode({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in query.items()})
    data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
    conn = UnixConnection(SOCKET_PATH, timeout)
    try:
        headers = {"Content-Type": content_type} if data is not None else {}
        conn.request(method, url, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
    finally:
        conn.close()
    if resp.status >= 400:
        try:
            message = json.loads(payload).get("message", payload.decode(errors="replace"))
        except ValueError:
            message = payload.decode(errors="replace")
        raise EngineError(resp.status, message.strip(), what)
    return resp.status, payload


def get_json(path: str, query: dict | None = None, what: str = "") -> Any:
    _, payload = request("GET", path, query=query, what=what)
    return json.loads(payload)


def post_json(path: str, body: Any = None, query: dict | None = None, what: str = "", timeout: float | None = 120) -> Any:
    _, payload = request("POST", path, query=query, body=body, what=what, timeout=timeout)
    return json.loads(payload) if payload.strip() else None


def delete(path: str, query: dict | None = None, what: str = "") -> None:
    request("DELETE", path, query=query, what=what)


def exists(path: str) -> bool:
    try:
        request("GET", path)
        return True
    except EngineError as err:
        if err.status == 404:
            return False
        raise


def demux_logs(payload: bytes) -> str:
    """Decode a container's log stream as the library does (``standard_stack.one_shot.demultiplex``)."""
    return demultiplex(payload)


def container_logs(container_id: str, tail: int | None = None) -> str:
    query = {"stdout": 1, "stderr": 1}
    if tail is not None:
        query["tail"] = tail
    _, payload = request("GET", f"/containers/{container_id}/logs", query=query)
    return demux_logs(payload)


def cli(*args: str, env: dict | None = None, cwd: str | None = None, timeout: float | None = 3600) -> subprocess.CompletedProcess:
    """Run the docker CLI; never raises on a non-zero exit (callers report stderr)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([DOCKER_CLI, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)


def engine_answers() -> bool:
    try:
        request("GET", "/_ping", timeout=5)
        return True
    except (OSError, EngineError):
        return False


def inspect(kind: str, ident: str) -> dict:
    """`docker inspect` through the API; kind is containers, networks, volumes or images."""
    if kind in ("volumes", "networks"):
        return get_json(f"/{kind}/{ident}")
    return get_json(f"/{kind}/{ident}/json")
