"""The application shell: OpenAPI exposure, root path, and the `python -m app` process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from urllib.error import URLError

import port_for
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.factory import create_app
from tests.conftest import API_DIR
from tests.test_migrations import cli_env


def app_client(settings: Settings, **overrides: object) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=overrides)))


def test_docs_and_schema_are_hidden_in_prod(migrated: Settings) -> None:
    client = app_client(migrated, app_env="prod")

    assert [client.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]


def test_docs_and_schema_are_served_in_dev(migrated: Settings) -> None:
    client = app_client(migrated, app_env="dev")

    assert client.get("/docs").status_code == 200
    assert "/items/{item_id}" in client.get("/openapi.json").json()["paths"]


def test_docs_link_the_schema_under_the_proxy_prefix(migrated: Settings) -> None:
    client = app_client(migrated, app_env="dev", api_root_path="/api")

    docs = client.get("/docs")  # the proxy has already stripped /api

    assert "'/api/openapi.json'" in docs.text or '"/api/openapi.json"' in docs.text
    assert client.get("/health").json() == {"status": "ok"}


def get_json(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, json.loads(response.read())


def test_python_m_app_serves_until_sigterm_then_exits_cleanly(migrated: Settings) -> None:
    port = port_for.select_random()
    env = cli_env(migrated) | {"API_PORT": str(port), "REDIS_PORT": str(migrated.redis_port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "app"], cwd=API_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = get_json(f"http://127.0.0.1:{port}/health")
                break
            except (URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        ready = get_json(f"http://127.0.0.1:{port}/health/ready")
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()

    assert health == (200, {"status": "ok"})
    assert ready[0] == 200 and ready[1]["status"] == "ready"
    assert server.returncode == 0, output  # a drained stop is a success, not "killed by SIGTERM"
    assert "Finished server process" in output


def test_trailing_slash_redirects_to_the_list_under_the_root_path(migrated: Settings) -> None:
    client = app_client(migrated, api_root_path="/api")

    response = client.get("/items/", params={"order": "desc"}, follow_redirects=False)  # proxy stripped /api

    assert response.status_code == 307
    assert response.headers["location"] == "/api/items?order=desc"


def test_trailing_slash_redirect_never_reflects_the_host_header(migrated: Settings) -> None:
    client = app_client(migrated, api_root_path="/api")

    response = client.get("/items/", headers={"Host": "evil.example:@attacker.example"}, follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == "/api/items"


def test_trailing_slash_redirect_without_a_root_path_is_the_bare_route(migrated: Settings) -> None:
    client = app_client(migrated)
    item = client.post("/items", json={"name": "x"}).json()

    response = client.get(f"/items/{item['id']}/", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (307, f"/items/{item['id']}")


def test_a_trailing_slash_on_no_route_is_404_not_a_redirect(migrated: Settings) -> None:
    client = app_client(migrated)

    assert client.get("//evil.example/", follow_redirects=False).status_code == 404
    assert client.get("/nothing/", follow_redirects=False).status_code == 404
