"""A Pulumi YAML program deploys the whole stack through the component package's StandardStack.

examples/yaml-stack: one StandardStack from a settings object (dev, stand-in versions) with build
contexts under the repository: ``pulumi up`` (preview first), the API and the web app answer through
the proxy, a second preview proposes nothing, ``pulumi destroy`` leaves no container. One stack with a
unique name and host ports in 30000-30999 (yaml_program.YamlStack).
"""

import random
import time

import pytest
from stack import http, wait_until
from yaml_program import YamlStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployed(toolchain, tmp_path_factory):
    if not (toolchain / "pulumi-language-yaml").is_file():
        pytest.fail(f"pulumi-language-yaml missing in {toolchain}: run scripts/build-tools")
    stack = YamlStack("yaml-stack", "standard-stack-yaml-whole", tmp_path_factory.mktemp("yaml-stack"))
    stack.port = random.randint(30000, 30498)
    try:
        start = time.monotonic()
        stack.deploy({"httpPort": str(stack.port), "httpsPort": str(stack.port + 500)})
        print(f"\nyaml-stack: pulumi up took {time.monotonic() - start:.0f} s")
        yield stack
    finally:
        stack.teardown()


def test_up_registers_the_whole_stack_and_its_five_services(deployed):
    assert "standard-stack:index:StandardStack" in deployed.resource_types()
    assert set(deployed.outputs["containers"]) == {"postgres", "redis", "api", "web", "proxy"}


def test_the_api_and_the_web_app_answer_through_the_proxy(deployed):
    assert deployed.outputs["url"] == f"http://localhost:{deployed.port}"

    def ready():
        status, _, body = http("GET", deployed.outputs["apiReadyUrl"])
        return status == 200 and body

    body = wait_until(ready, 60, "the API ready through the proxy")
    assert '"database":{"ok":true' in body and '"redis":{"ok":true}' in body
    status, _, _ = http("GET", deployed.outputs["url"] + "/")
    assert status == 200


def test_a_second_preview_proposes_no_changes(deployed):
    deployed.pulumi("preview", "--expect-no-changes", "--diff")


def test_destroy_leaves_no_container_of_the_stack(deployed):
    deployed.pulumi("destroy", "--yes", "--skip-preview")
    assert deployed.containers() == []
