"""The stack file's own env, secrets, apps and workers through the real CLI: no code, only Pulumi.<stack>.yaml.

Deployed as its own stack (``dev-apps``: its own Docker names) on ports of its own (2888x). The app is
a stock ``python`` image running a few lines given as its command; its secret reaches it as an
environment variable inside its process (secretsAsEnv) and is never in the container's config. The
API (a preset) takes its own secret the same way.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from deploy import Deployment, claim_stack
from stack import containers, docker_exec, http, service_containers

pytestmark = pytest.mark.e2e

STACK = "dev-apps"
HTTP_PORT = 28881
BASE = f"http://localhost:{HTTP_PORT}"
SIGNING = "e2e-signing-5b0c9d1e77"
SENTRY = "https://e2e-k3y@sentry.invalid/7"
# answers with its MODE and a digest of the secret it reads from its own environment (never the value)
SERVER = (
    "import hashlib, http.server, os\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        key = os.environ.get('SIGNING_KEY', '').encode()\n"
    "        body = f\"{os.environ['MODE']} {self.path} {hashlib.sha256(key).hexdigest()[:16]}\".encode()\n"
    "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "http.server.ThreadingHTTPServer(('0.0.0.0', 8080), H).serve_forever()\n"
)
OVERRIDES = {
    "publicUrl": BASE,
    "proxy": {"httpPort": HTTP_PORT},
    "postgres": {"hostPort": 28883},
    "redis": {"hostPort": 28884},
    "api": {"env": {"FEATURE_SEARCH": "on"}, "secrets": {"SENTRY_DSN": "sentryDsn"}, "secretsAsEnv": True},
    "apps": {
        "admin": {
            "image": "python:3.11-slim",
            "port": 8080,
            "path": "/admin/",
            "user": "65534:0",
            "entrypoint": [],
            "command": ["python", "-c", SERVER],
            "health": {"httpPath": "/", "prober": "python3"},
            "env": {"MODE": "admin"},
            "secrets": {"SIGNING_KEY": "signingKey"},
            "secretsAsEnv": True,
        }
    },
    "workers": {
        "tasks": {
            "imageFrom": "api",
            "networks": ["backend"],
            "command": ["python", "-c", "import time\nwhile True: time.sleep(1)"],
            "env": {"ROLE": "tasks"},
        }
    },
}


@pytest.fixture(scope="module")
def apps(toolchain, tmp_path_factory):
    claim_stack(STACK)
    run = Deployment(
        "dev",
        tmp_path_factory.mktemp("apps"),
        overrides=OVERRIDES,
        secrets_={"sentryDsn": SENTRY, "signingKey": SIGNING},
        name=STACK,
    )
    try:
        run.first = run.up()
        yield run
    finally:
        run.teardown()


def test_the_stack_files_app_and_worker_run_healthy_beside_the_stack_and_a_second_preview_is_empty(apps):
    services = service_containers(STACK)
    assert {"admin", "tasks"} <= set(services)
    assert services["admin"]["State"]["Health"]["Status"] == "healthy"
    assert services["tasks"]["State"]["Running"]
    assert {"admin", "tasks"} <= set(apps.first.outputs["containers"])
    apps.expect_no_changes()


def test_the_app_answers_through_the_proxy_under_its_path_with_its_secret_in_its_own_environment(apps):
    status, _, body = http("GET", f"{BASE}/admin/status")
    assert status == 200
    assert body == f"admin /status {hashlib.sha256(SIGNING.encode()).hexdigest()[:16]}"


def test_the_worker_runs_the_apis_release(apps):
    services = service_containers(STACK)
    assert services["tasks"]["Image"] == services["api"]["Image"]


def test_the_api_gets_its_env_and_its_secrets_path(apps):
    env = service_containers(STACK)["api"]["Config"]["Env"]
    assert "FEATURE_SEARCH=on" in env and "SENTRY_DSN_FILE=/run/secrets/SENTRY_DSN" in env


# digests of SENTRY_DSN in the environment of every process the container's user may read (the exec'd probe has none)
PROCESS_ENV_PROBE = (
    "import glob, hashlib\n"
    "for path in glob.glob('/proc/[0-9]*/environ'):\n"
    "    try:\n"
    "        env = dict(e.split('=', 1) for e in open(path).read().split('\\0') if '=' in e)\n"
    "    except OSError:\n"
    "        continue\n"
    "    if 'SENTRY_DSN' in env:\n"
    "        print(hashlib.sha256(env['SENTRY_DSN'].encode()).hexdigest()[:16])\n"
)


def test_the_api_with_secrets_as_env_has_its_secret_in_its_own_processes_environment(apps):
    api = service_containers(STACK)["api"]
    probe = docker_exec(api["Id"], "python", "-c", PROCESS_ENV_PROBE)
    assert probe.returncode == 0, probe.stderr
    assert set(probe.stdout.split()) == {hashlib.sha256(SENTRY.encode()).hexdigest()[:16]}
    assert "SENTRY_DSN=" not in json.dumps(api["Config"]["Env"])


def test_no_container_of_the_stack_shows_a_secret_value(apps):
    for info in containers(STACK):
        seen = json.dumps(info)
        assert SIGNING not in seen and SENTRY not in seen, info["Name"]
