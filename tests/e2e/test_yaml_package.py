"""A Pulumi YAML program deploys Postgres, Redis, the API and the proxy through the component package.

examples/yaml-package runs through the real CLI, the YAML language host and the Python component
provider (components/package) onto the engine: ``pulumi up`` (preview first), the API answers through the proxy, a
second preview proposes nothing, ``pulumi destroy`` leaves no container. One stack with a unique
name and a host port in 45000-45999; state and passphrase in a private temporary directory.
"""

import json
import os
import random
import subprocess
import time
import uuid

import engine_api
import pytest
from deploy import REPO, TOOLS, private_state_dir, tool_env
from stack import http, wait_until

pytestmark = pytest.mark.e2e

EXAMPLE = REPO / "examples" / "yaml-package"
PROJECT = "standard-stack-yaml"
PACKAGE_TYPES = {
    f"standard-stack:index:{name}" for name in ("StackNetworks", "PostgresService", "RedisService", "PythonApi", "ReverseProxy")
}
# the versions the local stand-in base images have (tests/e2e/overrides.yaml)
CONFIG = {"postgresImage": "postgres:15", "redisImage": "redis:7.0", "pythonVersion": "3.11.2", "nginxVersion": "1.30.6"}


class YamlStack:
    """The example deployed as one stack; ``pulumi`` runs the CLI in the example's directory."""

    def __init__(self, tmp) -> None:
        self.name = f"yamlpkg-{uuid.uuid4().hex[:6]}"
        self.port = random.randint(45000, 45999)
        self.env = {**os.environ, **tool_env(private_state_dir(tmp / "state"))}
        self.up: subprocess.CompletedProcess[str] | None = None
        self.outputs: dict = {}

    def pulumi(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), *args, "--stack", self.name, "--non-interactive"],
            cwd=EXAMPLE, env=self.env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}")
        return proc

    def containers(self) -> list[dict]:
        labels = [f"dev.standard-stack.project={PROJECT}", f"dev.standard-stack.stack={self.name}"]
        return engine_api.get_json("/containers/json", {"all": 1, "filters": {"label": labels}})

    def remove_leftovers(self) -> None:
        labels = {"label": [f"dev.standard-stack.project={PROJECT}", f"dev.standard-stack.stack={self.name}"]}
        for container in self.containers():
            engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
        for volume in engine_api.get_json("/volumes", {"filters": labels}).get("Volumes") or []:
            engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
        for network in engine_api.get_json("/networks", {"filters": labels}):
            engine_api.delete(f"/networks/{network['Id']}")


@pytest.fixture(scope="module")
def deployed(toolchain, tmp_path_factory):
    if not (toolchain / "pulumi-language-yaml").is_file():
        pytest.fail(f"pulumi-language-yaml missing in {toolchain}: run scripts/build-tools")
    stack = YamlStack(tmp_path_factory.mktemp("yaml-package"))
    stack.pulumi("stack", "init")
    try:
        for key, value in {**CONFIG, "httpPort": str(stack.port)}.items():
            stack.pulumi("config", "set", key, value)
        start = time.monotonic()
        stack.up = stack.pulumi("up", "--yes")  # its preview runs first, on unknown outputs
        print(f"\nyaml-package: pulumi up took {time.monotonic() - start:.0f} s")
        stack.outputs = json.loads(stack.pulumi("stack", "output", "--json").stdout)
        yield stack
    finally:
        subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), "destroy", "--yes", "--skip-preview", "--stack", stack.name, "--non-interactive"],
            cwd=EXAMPLE, env=stack.env, capture_output=True, timeout=900,
        )  # fmt: skip
        stack.remove_leftovers()
        subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), "stack", "rm", "--yes", "--force", stack.name],
            cwd=EXAMPLE, env=stack.env, capture_output=True,
        )  # fmt: skip
        (EXAMPLE / f"Pulumi.{stack.name}.yaml").unlink(missing_ok=True)


def test_up_registers_the_package_components_under_the_library_type_tokens(deployed):
    resources = json.loads(deployed.pulumi("stack", "export").stdout)["deployment"]["resources"]
    assert {r["type"] for r in resources} >= PACKAGE_TYPES
    assert "Resources:" in deployed.up.stdout


def test_the_api_answers_through_the_proxy_with_database_and_redis(deployed):
    assert deployed.outputs["apiReadyUrl"] == f"http://localhost:{deployed.port}/api/health/ready"

    def ready():
        status, _, body = http("GET", deployed.outputs["apiReadyUrl"])
        return status == 200 and body

    body = wait_until(ready, 60, "the API ready through the proxy")
    assert '"database":{"ok":true' in body and '"redis":{"ok":true}' in body


def test_the_database_url_output_stays_secret(deployed):
    assert deployed.outputs["databaseUrl"] == "[secret]"


def test_a_second_preview_proposes_no_changes(deployed):
    deployed.pulumi("preview", "--expect-no-changes", "--diff")


def test_destroy_leaves_no_container_of_the_stack(deployed):
    deployed.pulumi("destroy", "--yes", "--skip-preview")
    assert deployed.containers() == []
