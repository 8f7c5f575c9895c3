"""A Pulumi YAML program deploys an app this repository does not know with the package's App and Worker.

examples/yaml-app runs through the real CLI, the YAML language host and the Python component provider
(components/package) onto the engine: the notes API of tests/apps/fastapi-app as an ``App`` (its
secrets DATABASE_URL, REDIS_URL and SECRET_KEY set in its environment by the exec wrapper, ``alembic
upgrade head`` as its job), its Celery worker as a ``Worker`` running the App's image, PostgreSQL, Redis
and the proxy. The API answers through the proxy, signs with the secret key from the stack's config, the
worker completes a queued task, no container shows a secret value in ``docker inspect``, a second
preview proposes nothing and ``pulumi destroy`` leaves no container. One stack with a unique name and a
free host port in 30000-30999 (yaml_program.YamlStack).
"""

import hashlib
import hmac
import json
import random
import secrets
import socket
import time

import engine_api
import pytest
from stack import http, wait_until
from yaml_program import YamlStack

pytestmark = pytest.mark.e2e

SECRET_KEY = f"sk-{secrets.token_hex(16)}"
# the versions the local stand-in base images have (tests/e2e/overrides.yaml), nginx's with three parts
# (the YAML host turns a config value such as "1.30" into the number 1.3, see examples/yaml-package)
CONFIG = {"postgresImage": "postgres:15", "redisImage": "redis:7.0", "nginxVersion": "1.30.6"}


def free_port() -> int:
    """A port in 30000-30999 nothing on this machine listens on (the other YAML tests pick theirs there too):
    below the ephemeral range (32768-), where the CLI's and the plugins' own listeners land."""
    for _ in range(50):
        port = random.randint(30000, 30999)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 30000-30999")


@pytest.fixture(scope="module")
def deployed(toolchain, tmp_path_factory):
    if not (toolchain / "pulumi-language-yaml").is_file():
        pytest.fail(f"pulumi-language-yaml missing in {toolchain}: run scripts/build-tools")
    stack = YamlStack("yaml-app", "standard-stack-yaml-app", tmp_path_factory.mktemp("yaml-app"))
    stack.port = free_port()
    try:
        start = time.monotonic()
        stack.pulumi("stack", "init")
        stack.pulumi("config", "set", "--secret", "secretKey", SECRET_KEY)
        for key, value in {**CONFIG, "httpPort": str(stack.port)}.items():
            stack.pulumi("config", "set", key, value)
        stack.up = stack.pulumi("up", "--yes")  # its preview runs first, on unknown outputs
        stack.outputs = json.loads(stack.pulumi("stack", "output", "--json").stdout)
        print(f"\nyaml-app: pulumi up took {time.monotonic() - start:.0f} s")
        yield stack
    finally:
        stack.teardown()


def url(deployed: YamlStack, path: str) -> str:
    return f"http://127.0.0.1:{deployed.port}{path}"


def test_up_registers_the_app_and_the_worker_under_the_package_type_tokens(deployed):
    assert {"standard-stack:index:App", "standard-stack:index:Worker"} <= deployed.resource_types()
    assert deployed.outputs["healthUrl"] == f"http://localhost:{deployed.port}/health/"


def test_the_app_answers_through_the_proxy(deployed):
    def healthy() -> str | None:
        status, _, body = http("GET", url(deployed, "/health/"))
        return body if status == 200 else None

    assert wait_until(healthy, 60, "the app healthy through the proxy")


def test_a_note_is_written_and_signed_with_the_secret_key_from_the_stacks_config(deployed):
    status, _, body = http("POST", url(deployed, "/notes"), {"body": "written from YAML"})
    assert status == 201, body
    note = json.loads(body)
    expected = hmac.new(SECRET_KEY.encode(), f"note:{note['id']}".encode(), hashlib.sha256).hexdigest()
    assert note["signature"] == expected
    status, _, body = http("GET", url(deployed, f"/notes/{note['id']}"))
    assert status == 200 and json.loads(body)["body"] == "written from YAML", body


def test_the_worker_completes_a_queued_task_and_the_app_reads_its_note(deployed):
    status, _, body = http("POST", url(deployed, "/tasks/notes"), {"body": "written by the worker"})
    assert status == 202, body
    task_id = json.loads(body)["task_id"]

    def done() -> dict | None:
        state = json.loads(http("GET", url(deployed, f"/tasks/{task_id}"))[2])
        return state if state["state"] in ("SUCCESS", "FAILURE") else None

    state = wait_until(done, 90, "the Celery task to finish")
    assert state["state"] == "SUCCESS", state
    status, _, body = http("GET", url(deployed, f"/notes/{state['note_id']}"))
    assert status == 200 and json.loads(body)["source"] == "worker", body


def test_no_container_shows_a_secret_value_in_docker_inspect(deployed):
    shown = json.loads(deployed.pulumi("stack", "output", "--json", "--show-secrets").stdout)
    values = [SECRET_KEY, *shown["secretValues"]]
    containers = deployed.containers()
    assert {"notes", "worker", "notes-migrate"} <= {c["Labels"]["dev.standard-stack.service"] for c in containers}
    for container in containers:
        inspected = json.dumps(engine_api.get_json(f"/containers/{container['Id']}/json"))
        leaked = [f"{value[:4]}…" for value in values if value in inspected]
        assert not leaked, f"{container['Names'][0]} shows secret values in docker inspect: {leaked}"


def test_a_second_preview_proposes_no_changes(deployed):
    deployed.pulumi("preview", "--expect-no-changes", "--diff")


def test_destroy_leaves_no_container_of_the_stack(deployed):
    deployed.pulumi("destroy", "--yes", "--skip-preview")
    assert deployed.containers() == []
