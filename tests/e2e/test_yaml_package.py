"""A Pulumi YAML program deploys Postgres, Redis, the API and the proxy through the component package.

examples/yaml-package runs through the real CLI, the YAML language host and the Python component
provider (components/package) onto the engine: ``pulumi up`` (preview first), the API answers through
the proxy, which names the API's container (its ``upstreams`` from the API's ``upstream`` output), so a
replaced API container is switched to with no failed request, a second preview proposes nothing,
``pulumi destroy`` leaves no container. One stack with a unique name and a host port in 30000-30999
(yaml_program.YamlStack).
"""

import json
import random
import time

import pytest
from stack import COMPONENT_LABEL, RequestLoop, docker_exec, http, wait_until
from yaml_program import YamlStack

pytestmark = pytest.mark.e2e

COMPONENTS = ("StackNetworks", "PostgresService", "RedisService", "PythonApi", "ReverseProxy")
# the versions the local stand-in base images have (tests/e2e/overrides.yaml), with three parts: the
# YAML host turns a config value such as "1.30" into the number 1.3 (see the example's Pulumi.yaml)
CONFIG = {"postgresImage": "postgres:15", "redisImage": "redis:7.0", "pythonVersion": "3.11.2", "nginxVersion": "1.30.6"}


@pytest.fixture(scope="module")
def deployed(toolchain, tmp_path_factory):
    if not (toolchain / "pulumi-language-yaml").is_file():
        pytest.fail(f"pulumi-language-yaml missing in {toolchain}: run scripts/build-tools")
    stack = YamlStack("yaml-package", "standard-stack-yaml", tmp_path_factory.mktemp("yaml-package"))
    stack.port = random.randint(30000, 30999)
    try:
        start = time.monotonic()
        stack.deploy({**CONFIG, "httpPort": str(stack.port)})
        print(f"\nyaml-package: pulumi up took {time.monotonic() - start:.0f} s")
        yield stack
    finally:
        stack.teardown()


def test_up_registers_the_package_components_under_the_library_type_tokens(deployed):
    assert {f"standard-stack:index:{name}" for name in COMPONENTS} <= deployed.resource_types()
    assert "Resources:" in deployed.up.stdout


def test_up_leaves_the_api_migration_the_only_exited_container(deployed):
    """The loaders and the rotations are ``standard-stack:index:OneShot`` runs the package's own provider
    serves (a YAML program has no Python virtualenv for a dynamic provider): each is removed when it has
    exited. The API's migration stays a container."""
    assert "standard-stack:index:OneShot" in deployed.resource_types()
    exited = [c["Names"][0] for c in deployed.containers() if c["State"] != "running"]
    assert len(exited) == 1 and exited[0].endswith("-api-migrate"), exited


def test_no_file_a_one_shot_run_loads_is_in_the_state_in_plain_text(deployed):
    """The generated Postgres password, which a run loads into the secrets volume, is in the state only
    encrypted: the package's provider returns the runs' ``files`` as secret."""
    shown = json.loads(deployed.pulumi("stack", "export", "--show-secrets").stdout)["deployment"]["resources"]
    (result,) = [r["outputs"]["result"] for r in shown if r["urn"].endswith("RandomPassword::db-password")]
    password = json.loads(result["plaintext"])  # a secret shown: its envelope, the value as JSON
    loads = [r for r in shown if r["type"] == "standard-stack:index:OneShot" and password in json.dumps(r["outputs"])]
    assert loads, "no one-shot run loads the Postgres password"
    assert password not in deployed.pulumi("stack", "export").stdout


def test_the_api_answers_through_the_proxy_with_database_and_redis(deployed):
    assert deployed.outputs["apiReadyUrl"] == f"http://localhost:{deployed.port}/api/health/ready"

    def ready():
        status, _, body = http("GET", deployed.outputs["apiReadyUrl"])
        return status == 200 and body

    body = wait_until(ready, 60, "the API ready through the proxy")
    assert '"database":{"ok":true' in body and '"redis":{"ok":true}' in body


def api_and_proxy(deployed) -> tuple[dict, dict]:
    """The running API and proxy containers (Docker's container list entries)."""
    running = [c for c in deployed.containers() if c["State"] == "running"]
    (api,) = [c for c in running if c["Labels"].get(COMPONENT_LABEL) == "api"]
    (proxy,) = [c for c in running if c["Labels"].get(COMPONENT_LABEL) == "proxy"]
    return api, proxy


def assert_the_proxy_names(api: dict, proxy: dict) -> None:
    (frontend,) = set(api["NetworkSettings"]["Networks"]) & set(proxy["NetworkSettings"]["Networks"])
    name, address = api["Names"][0].lstrip("/"), api["NetworkSettings"]["Networks"][frontend]["IPAddress"]
    site = docker_exec(proxy["Id"], "cat", "/etc/nginx/site/site.conf").stdout
    assert f"server {name}:8000 resolve max_fails=0;\n    server {address}:8000 backup max_fails=0;" in site, site


def test_the_proxy_names_the_api_container_with_its_frontend_address_as_backup(deployed):
    assert_the_proxy_names(*api_and_proxy(deployed))


def test_a_replaced_api_container_is_switched_to_without_a_failed_request(deployed):
    """``pulumi up --replace`` of the API's container: the new one is created first, the proxy's site names
    it and nginx reloads in place, and only then is the old one deleted."""
    resources = json.loads(deployed.pulumi("stack", "export").stdout)["deployment"]["resources"]
    (urn,) = [r["urn"] for r in resources if r["type"] == "docker:index/container:Container" and r["urn"].endswith("::api")]
    old, _ = api_and_proxy(deployed)
    with RequestLoop([deployed.outputs["apiReadyUrl"]]) as loop:
        time.sleep(1)
        start = time.monotonic()
        up = deployed.pulumi("up", "--yes", "--replace", urn)
        took = time.monotonic() - start
        time.sleep(3)
    print(f"\nyaml-package: replacing the API took {took:.0f} s; requests: {loop.total}, failed: {len(loop.failures)}")
    for failure in loop.failures[:20]:
        print("  ", failure)
    new, proxy = api_and_proxy(deployed)
    assert new["Id"] != old["Id"], up.stdout
    assert_the_proxy_names(new, proxy)
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"


def test_the_database_url_output_stays_secret(deployed):
    assert deployed.outputs["databaseUrl"] == "[secret]"


def test_a_second_preview_proposes_no_changes(deployed):
    deployed.pulumi("preview", "--expect-no-changes", "--diff")


def test_destroy_leaves_no_container_of_the_stack(deployed):
    deployed.pulumi("destroy", "--yes", "--skip-preview")
    assert deployed.containers() == []
