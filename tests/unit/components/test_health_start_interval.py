"""Health checks probe every start interval while a service starts, on engines that take it (API >= 1.44).

A 20.10 engine's client refuses the field (moby client/container_create.go), Swarm services never get
it, and the value is sent in the spelling the engine reads back (Go's ``Duration.String()``), so a
second preview is empty.
"""

from __future__ import annotations

import http.server
import json
import socketserver
import threading

import pytest
from pydantic import ValidationError

from stack_settings import ConfigError, engine_api_version, parse
from standard_stack import App, AppArgs, HealthCheck, Runtime, versions
from standard_stack.engine import api_version, go_duration
from tests.support.program import CONTAINER, RecordingMocks, run_program, run_stack
from tests.support.stacks import PROD_SECRETS

SERVICE = "docker:index/service:Service"
REAL_API_VERSION = api_version  # the unit tier's conftest replaces the module's for every other test


def app_health(runtime: Runtime, typ: str = CONTAINER) -> dict:
    mocks = RecordingMocks()
    args = AppArgs(
        runtime=runtime, image="ghcr.io/example/notes:1.4.2", port=8000, networks=["frontend"],
        health=HealthCheck(http_path="/health"), network_ids=["net-1"] if runtime.target == "swarm" else None,
    )  # fmt: skip
    run_program(mocks, {}, stack="test", program=lambda: App("notes", args))
    spec = mocks.named("notes", typ).plain("healthcheck" if typ == CONTAINER else "taskSpec")
    return spec if typ == CONTAINER else spec["containerSpec"]["healthcheck"]


def test_the_start_interval_is_sent_to_an_engine_of_api_1_44_or_later():
    health = app_health(Runtime(project="shop", stack="test", engine_api_version="1.45"))
    assert health["startInterval"] == versions.HEALTH_START_INTERVAL == "1s"


def test_no_start_interval_reaches_an_engine_older_than_api_1_44():
    assert "startInterval" not in app_health(Runtime(project="shop", stack="test", engine_api_version="1.41"))


def test_no_start_interval_is_sent_when_the_engine_version_is_unknown():
    assert "startInterval" not in app_health(Runtime(project="shop", stack="test"))


def test_a_swarm_services_health_check_never_carries_a_start_interval():
    health = app_health(Runtime(project="shop", stack="test", target="swarm", engine_api_version="1.45"), SERVICE)
    assert health["interval"] and "startInterval" not in health


@pytest.mark.parametrize(
    ("given", "read_back"),
    [("1s", "1s"), ("60s", "1m0s"), ("90s", "1m30s"), ("3600s", "1h0m0s"), ("1500ms", "1.5s"), ("0.5s", "500ms"), ("2m", "2m0s")],
)
def test_a_start_interval_is_sent_in_the_spelling_the_engine_reads_back(given, read_back):
    assert go_duration(given) == read_back
    health = app_health(Runtime(project="shop", stack="test", engine_api_version="1.45", health_start_interval=given))
    assert health["startInterval"] == read_back


@pytest.mark.parametrize("bad", ["soon", "1", "5 s", "-1s", "500us", ""])
def test_a_start_interval_that_is_no_go_duration_of_at_least_1ms_is_refused(bad):
    with pytest.raises(ValidationError, match="Go duration of at least 1ms"):
        Runtime(health_start_interval=bad)


def stack_health(monkeypatch, api: str | None, **overrides) -> dict[str, dict]:
    monkeypatch.setattr("standard_stack.engine.api_version", lambda host, timeout=5.0: api)
    run = run_stack("prod", overrides=overrides, secrets=PROD_SECRETS)
    containers = run.mocks.of_type(CONTAINER)
    return {c.name: c.plain("healthcheck") for c in containers if c.plain("healthcheck")}


def test_auto_gives_every_long_running_container_the_default_start_interval_on_a_current_engine(monkeypatch):
    health = stack_health(monkeypatch, "1.45")
    assert {"postgres", "redis", "proxy"} <= set(health)
    assert {name: h.get("startInterval") for name, h in health.items()} == dict.fromkeys(health, "1s")


def test_auto_sends_no_start_interval_to_an_engine_older_than_api_1_44(monkeypatch):
    health = stack_health(monkeypatch, "1.41")
    assert health and not [name for name, h in health.items() if "startInterval" in h]


def test_off_sends_no_start_interval_even_to_a_current_engine(monkeypatch):
    health = stack_health(monkeypatch, "1.45", healthStartInterval="off")
    assert health and not [name for name, h in health.items() if "startInterval" in h]


def test_a_duration_setting_is_sent_in_the_engines_spelling(monkeypatch):
    health = stack_health(monkeypatch, "1.45", healthStartInterval="60s")
    assert set(h["startInterval"] for h in health.values()) == {"1m0s"}


def test_a_bad_setting_is_refused_naming_the_setting_the_value_and_the_allowed_form():
    with pytest.raises(ConfigError) as refused:
        parse({"environment": "dev", "publicUrl": "http://localhost:8080", "healthStartInterval": "soon"})
    message = str(refused.value)
    assert "standard-stack:healthStartInterval" in message and "soon" in message
    assert "auto, off or a Go duration" in message and "Traceback" not in message


def test_a_duration_for_an_engine_known_to_refuse_it_is_refused_naming_its_api_version(monkeypatch):
    monkeypatch.setattr("standard_stack.engine.api_version", lambda host, timeout=5.0: "1.41")
    config = parse({"environment": "dev", "publicUrl": "http://localhost:8080", "healthStartInterval": "2s"})
    with pytest.raises(ConfigError, match=r"healthStartInterval: \(2s\) needs Docker Engine API 1\.44 .*speaks API 1\.41.*auto"):
        engine_api_version(config, "unix:///run/docker-20.sock")


def test_off_never_asks_the_engine(monkeypatch):
    def ask(host, timeout=5.0):
        raise AssertionError("the engine was asked")

    monkeypatch.setattr("standard_stack.engine.api_version", ask)
    config = parse({"environment": "dev", "publicUrl": "http://localhost:8080", "healthStartInterval": "off"})
    assert engine_api_version(config, None) is None


class _Version(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"Version": "26.1.5", "ApiVersion": "1.45"}).encode() if self.path == "/version" else b"{}"
        self.send_response(200 if self.path == "/version" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_engine_is_asked_its_api_version_over_its_unix_socket(tmp_path):
    path = tmp_path / "docker.sock"
    server = socketserver.UnixStreamServer(str(path), _Version)
    server.get_request = lambda: (server.socket.accept()[0], ("local", 0))  # http.server wants an address pair
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert REAL_API_VERSION(f"unix://{path}") == "1.45"
    finally:
        server.shutdown()
        server.server_close()


def test_an_engine_that_cannot_be_asked_from_here_is_unknown(tmp_path):
    assert REAL_API_VERSION("ssh://deploy@example.invalid") is None
    assert REAL_API_VERSION(f"unix://{tmp_path}/absent.sock", timeout=1) is None
