"""Releases and logs through the real CLI: v1 -> v2 -> rollback to v1 by config, the last N kept, logs by service.

One dev deployment under its own stack name (`rel8`) and ports (394xx), shared by the tests of this
module in file order: each step starts from the state the previous one left.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time

import engine_api
import pytest
from deploy import REPO, Deployment, claim_stack, labelled, write_stack_file
from stack import RequestLoop, api_swap_changes, http, proxy_upstream_errors, service_containers

pytestmark = pytest.mark.e2e

STACK = "rel8"
OVERRIDES = {
    "publicUrl": "http://localhost:39480",
    "proxy": {"httpPort": 39480, "httpsPort": 39443},
    "postgres": {"hostPort": 39432},
    "redis": {"hostPort": 39479},
    "releasesKept": 2,
}
LIVENESS = 'return {"status": "ok"}'
SCRIPTS = REPO / "scripts"
PREFIX = f"standard-stack-{STACK}-"
HELPERS = {
    # the one container left exited: the migration's, whose log an operator reads. File loaders, password
    # rotations and the reload run as one-shot runs (standard_stack.one_shot) and are removed when they exit.
    "api-migrate",
}


class Scenario:
    def __init__(self, run: Deployment) -> None:
        self.run = run
        self.overrides: dict = dict(OVERRIDES)
        self.tags: dict[str, str] = {}  # content label (v1, v2, v3) -> release tag of the API

    @property
    def base(self) -> str:
        return OVERRIDES["publicUrl"]

    def write_api(self, label: str) -> None:
        """The API's liveness answer names the release it was built from."""
        health = self.run.program_dir / "images/api/app/api/routes/health.py"
        text = health.read_text()
        marker = text[text.index('return {"status": "ok"') :].split("\n", 1)[0]
        health.write_text(text.replace(marker, f'return {{"status": "ok", "release": "{label}"}}'))

    def configure(self, **settings) -> None:
        self.overrides.update(settings)
        write_stack_file(self.run.program_dir, "dev", self.overrides, name=STACK)

    def served_release(self) -> str:
        """The release the API answers with."""
        status, _, body = http("GET", f"{self.base}/api/health")
        assert status == 200, body
        return json.loads(body).get("release", "")


def image_exists(reference: str) -> bool:
    try:
        engine_api.inspect("images", reference)
        return True
    except engine_api.EngineError:
        return False


def remove_stack_images() -> None:
    """Release tags destroy left (the proxy's; the API's and web's go with their RemoteImages)."""
    for image in engine_api.get_json("/images/json"):
        for ref in image.get("RepoTags") or []:
            repository, _, tag = ref.rpartition(":")
            if repository.startswith("standard-stack-") and tag.startswith(f"{STACK}-"):
                subprocess.run([engine_api.DOCKER_CLI, "image", "rm", ref], capture_output=True)


@pytest.fixture(scope="module")
def scenario(toolchain, tmp_path_factory):
    claim_stack(STACK)
    run = Deployment("dev", tmp_path_factory.mktemp("release"), overrides=OVERRIDES, name=STACK)
    try:
        yield Scenario(run)
    finally:
        run.teardown()
        remove_stack_images()


def container_ops(outcome, name: str) -> list[str]:
    """The steps of the container ``name`` (its component shares the name and stays `same`)."""
    return [op for op in outcome.ops_of(name) if op != "same"]


def swap(scenario: Scenario):
    """`pulumi up` under a request loop through the proxy; returns the outcome and the loop."""
    urls = [f"{scenario.base}/api/health", f"{scenario.base}/api/items", f"{scenario.base}/"]
    with RequestLoop(urls) as loop:
        time.sleep(1)
        outcome = scenario.run.up()
        time.sleep(3)
    print(f"\nrequests during the deploy: {loop.total}, failed: {len(loop.failures)}")
    for failure in loop.failures[:20]:
        print("  ", failure)
    if loop.failures:
        print("nginx:", *proxy_upstream_errors(STACK), sep="\n   ")
    return outcome, loop


def test_v1_then_v2_gets_a_new_immutable_tag_keeps_v1_and_drops_no_request(scenario):
    scenario.write_api("v1")
    first = scenario.run.up()
    scenario.run.expect_no_changes()
    v1 = first.outputs["releases"]["api"][0]
    assert scenario.served_release() == "v1"
    assert first.outputs["images"]["api"] == f"standard-stack-api:{v1}"

    scenario.write_api("v2")
    second, loop = swap(scenario)
    scenario.run.expect_no_changes()
    v2 = second.outputs["releases"]["api"][0]
    scenario.tags.update(v1=v1, v2=v2)
    assert v2 != v1 and v2.startswith(f"{STACK}-")
    assert second.outputs["releases"]["api"] == [v2, v1]
    assert scenario.served_release() == "v2"
    assert image_exists(f"standard-stack-api:{v1}") and image_exists(f"standard-stack-api:{v2}")
    changed = {name: action for name, action in second.actions.items() if action not in ("same", "read")}
    assert set(changed) == api_swap_changes(f"api-release-{v2}"), changed
    assert container_ops(second, "api") == ["create-replacement", "replace", "delete-replaced"]
    assert container_ops(second, "proxy") == []  # pointed at the new container by a reload in place
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"


def stack_containers() -> dict[str, str]:
    """Name -> state of every container of the stack: `docker ps -a --filter label=dev.standard-stack.stack=…`."""
    return {c["Names"][0].lstrip("/"): c["State"] for c in labelled(STACK, "containers")}


def test_an_operator_reads_project_stack_and_role_in_every_container_and_only_the_helpers_outlive_their_run(scenario):
    """After v1 and the v2 release: every name starts `<project>-<stack>-`, the five services run (the apps'
    names end in their instance's suffix), and the exited containers are the helpers, one each: v1's went with
    their release. A deploy without changes, and a preview after a refresh, change nothing."""
    before = stack_containers()
    scenario.run.up()
    assert stack_containers() == before
    scenario.run.stack.preview(refresh=True, expect_no_changes=True, diff=True, color="never")
    print(f"\ncontainers of {STACK} after v1 and v2:", *sorted(before.items()), sep="\n   ")
    assert all(name.startswith(PREFIX) for name in before), sorted(before)
    roles = {name.removeprefix(PREFIX): state for name, state in before.items()}
    assert {role for role, state in roles.items() if state == "exited"} == HELPERS
    running = sorted(role for role, state in roles.items() if state == "running")
    assert len(running) == len(roles) - len(HELPERS) == 5, roles
    assert re.fullmatch(r"api-[0-9a-f]{7} postgres proxy redis web-[0-9a-f]{7}", " ".join(running)), running


def test_releases_script_lists_both_releases_newest_first_and_marks_the_running_one(scenario):
    v1, v2 = scenario.tags["v1"], scenario.tags["v2"]
    proc = subprocess.run([sys.executable, str(SCRIPTS / "releases"), STACK, "api"], capture_output=True, text=True)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()[1:]]
    assert [row[1] for row in rows] == [v2, v1]
    assert rows[0][-1] == "running" and rows[1][-1] != "running"


def test_pinning_v1_deploys_it_without_building_create_first_and_drops_no_request(scenario):
    v1, v2 = scenario.tags["v1"], scenario.tags["v2"]
    scenario.configure(api={"release": v1})
    third, loop = swap(scenario)
    scenario.run.expect_no_changes()
    assert scenario.served_release() == "v1"
    assert third.actions.get("api-image") == "delete"  # nothing built: the Image resource is gone
    assert container_ops(third, "api") == ["create-replacement", "replace", "delete-replaced"]
    assert third.outputs["releases"]["api"] == [v1, v2]
    assert service_containers(STACK)["api"]["Image"] == engine_api.inspect("images", f"standard-stack-api:{v1}")["Id"]
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"


def test_a_new_release_beyond_releases_kept_removes_the_oldest_tag_from_the_host(scenario):
    v1, v2 = scenario.tags["v1"], scenario.tags["v2"]
    scenario.write_api("v3")
    scenario.configure(api={"release": None})
    fourth = scenario.run.up()
    scenario.run.expect_no_changes()
    v3 = fourth.outputs["releases"]["api"][0]
    assert scenario.served_release() == "v3"
    assert fourth.outputs["releases"]["api"] == [v3, v1]  # releasesKept: 2, most recently deployed first
    assert fourth.actions.get(f"api-release-{v2}") == "delete"
    assert not image_exists(f"standard-stack-api:{v2}")
    assert image_exists(f"standard-stack-api:{v1}") and image_exists(f"standard-stack-api:{v3}")


def test_pinning_a_release_that_is_not_kept_fails_up_naming_the_setting(scenario):
    from deploy import DeployFailed

    scenario.configure(api={"release": f"{STACK}-000000000000"})
    try:
        with pytest.raises(DeployFailed) as err:
            scenario.run.up()
        message = str(err.value)
        assert f"standard-stack:api.release: '{STACK}-000000000000' is not a release of stack {STACK}" in message
        assert scenario.served_release() == "v3"  # nothing was touched
    finally:
        scenario.configure(api={"release": None})


def test_outputs_name_each_services_current_container(scenario):
    outputs = scenario.run.outputs()
    running = {service: info["Name"].lstrip("/") for service, info in service_containers(STACK).items()}
    assert outputs["containers"] == running
    assert set(running) == {"postgres", "redis", "api", "web", "proxy"}


def test_logs_shows_the_current_api_container_after_a_replacement(scenario):
    before = service_containers(STACK)["api"]["Name"].lstrip("/")
    scenario.run.up(replace=["api"])
    scenario.run.expect_no_changes()
    current = service_containers(STACK)["api"]["Name"].lstrip("/")
    assert current != before
    proc = subprocess.run([sys.executable, str(SCRIPTS / "logs"), STACK, "api"], capture_output=True, text=True, timeout=60)
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == 0, proc.stderr
    assert f"==> {current} (current" in proc.stdout
    after_header = proc.stdout.split(f"==> {current} (current", 1)[1] + proc.stderr
    assert "Application startup complete" in after_header or "Uvicorn running" in after_header


def test_logs_follow_streams_the_current_container(scenario):
    logs = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "logs"), STACK, "proxy", "-f", "--tail", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(logs.stdout or []), daemon=True)
    reader.start()
    try:
        # requests until one shows up: `docker logs -f` attaches a moment after the header is printed
        deadline = time.monotonic() + 30
        while not any("e2e-follow" in line for line in lines) and time.monotonic() < deadline:
            http("GET", f"{scenario.base}/api/health?e2e-follow")
            time.sleep(0.5)
        assert lines and lines[0].startswith("==> ")
        assert any("e2e-follow" in line for line in lines[1:]), lines[:5]
        assert logs.poll() is None  # still following
    finally:
        logs.terminate()
        logs.wait(timeout=10)


def test_logs_names_the_services_when_the_service_is_unknown(scenario):
    proc = subprocess.run([sys.executable, str(SCRIPTS / "logs"), STACK, "nosuch"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"stack '{STACK}' has no service 'nosuch'; its services:" in proc.stderr
    assert "api" in proc.stderr and "postgres" in proc.stderr


def test_logs_without_a_service_prints_its_usage():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "logs"), "dev"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "usage: scripts/logs [-h] [-f] [--since WHEN] [--tail N]" in proc.stderr
    assert "the following arguments are required: service" in proc.stderr


def test_logs_refuses_a_malformed_since():
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / "logs"), "dev", "api", "--since", "yesterday"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "--since must be a duration (10m, 2h, 30s) or a timestamp" in proc.stderr and "'yesterday'" in proc.stderr
