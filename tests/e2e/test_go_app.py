"""A Go service on scratch (no shell) deployed unchanged with App and its static env wrapper, through the real CLI.

tests/e2e/go_app is a program of its own (project ``go-app``): PostgreSQL, the visits service of
tests/apps/go-service as an ``App`` (DATABASE_URL a secret set in its own process by the static
wrapper, ``/app migrate`` as its one-shot job, health by the command ``/app health``), and a
ReverseProxy. The program and the app are copied into a private directory (the source change edits
the copy). The derived image's Go stage needs ``golang:<versions.GO>-bookworm``: on an engine that
pulls no images, tests/apps/tooling/golang-standin builds a local one first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import engine_api
import pytest
from deploy import REPO, TOOLS, DeployFailed, Outcome, private_state_dir, summary, tool_env
from pulumi import automation as auto
from stack import RequestLoop, http

from standard_stack import versions

pytestmark = pytest.mark.e2e

PROJECT = "go-app"
STACK = "go-app-e2e"
HTTP_PORT = 28900
BASE_IMAGES = {"postgresImage": "postgres:15", "nginxVersion": "1.30"}
LABELS = {"label": [f"dev.standard-stack.project={PROJECT}", f"dev.standard-stack.stack={STACK}"]}
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")


def stack_objects() -> dict[str, list[dict]]:
    """This test's Docker objects, by the labels every component sets (project go-app is only this test's)."""
    return {
        "containers": engine_api.get_json("/containers/json", {"all": 1, "filters": LABELS}),
        "volumes": engine_api.get_json("/volumes", {"filters": LABELS}).get("Volumes") or [],
        "networks": engine_api.get_json("/networks", {"filters": LABELS}),
    }


def remove_stack_objects() -> None:
    objects = stack_objects()
    for container in objects["containers"]:
        engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
    for volume in objects["volumes"]:
        engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
    for network in objects["networks"]:
        engine_api.delete(f"/networks/{network['Id']}")


def golang_builder() -> None:
    """The Go image the derived build starts from; the stand-in script skips work when it exists."""
    proc = subprocess.run(
        [str(REPO / "tests" / "apps" / "tooling" / "golang-standin")],
        env={**os.environ, "DOCKER": DOCKER}, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, f"golang:{versions.GO}-bookworm for the wrapper stage: {proc.stderr[-2000:]}"
    present = subprocess.run([DOCKER, "image", "inspect", f"golang:{versions.GO}-bookworm"], capture_output=True)
    assert present.returncode == 0, f"golang:{versions.GO}-bookworm (versions.GO) is not a tag golang-standin makes"


class GoApp:
    """The program's stack, driven through the Automation API (the real CLI and language host)."""

    def __init__(self, tmp: Path) -> None:
        root = tmp / "tree"
        self.program = root / "tests" / "e2e" / "go_app"
        self.app = root / "tests" / "apps" / "go-service"
        shutil.copytree(REPO / "tests" / "e2e" / "go_app", self.program, ignore=shutil.ignore_patterns("Pulumi.*.yaml"))
        shutil.copytree(REPO / "tests" / "apps" / "go-service", self.app)
        (root / "images").symlink_to(REPO / "images", target_is_directory=True)
        (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
        self.env = env = tool_env(private_state_dir(tmp / "state"))
        workspace = auto.LocalWorkspace(
            work_dir=str(self.program), env_vars=env, pulumi_command=auto.PulumiCommand(root=str(TOOLS), skip_version_check=True)
        )
        self.stack = auto.Stack.create_or_select(STACK, workspace)
        self.stack.set_config("httpPort", auto.ConfigValue(value=str(HTTP_PORT)))
        for key, value in BASE_IMAGES.items():
            self.stack.set_config(key, auto.ConfigValue(value=value))
        self.url = f"http://127.0.0.1:{HTTP_PORT}"

    def run(self, operation: str, **kwargs: Any) -> Outcome:
        outcome = Outcome()

        def on_event(event: auto.EngineEvent) -> None:
            pre = event.resource_pre_event
            if pre is not None and pre.metadata is not None:
                outcome.steps.append((pre.metadata.urn.rsplit("::", 1)[-1], pre.metadata.type, str(pre.metadata.op.value)))

        started = time.monotonic()
        try:
            result = getattr(self.stack, operation)(on_event=on_event, color="never", **kwargs)
        except auto.CommandError as error:
            raise DeployFailed(f"pulumi {operation} of {STACK} failed:\n{error}") from None
        outcome.stdout = result.stdout
        print(summary(f"pulumi {operation} {STACK} ({time.monotonic() - started:.0f} s)", result.stdout))
        return outcome

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}


@pytest.fixture(scope="module")
def go_app(toolchain, tmp_path_factory) -> Iterator[GoApp]:
    golang_builder()
    remove_stack_objects()  # left by an interrupted run of this test: nothing else uses project go-app
    deployment = GoApp(tmp_path_factory.mktemp("go-app"))
    try:
        deployment.run("up")
        yield deployment
    finally:
        try:
            deployment.run("destroy")
        finally:
            remove_stack_objects()
            deployment.stack.workspace.remove_stack(STACK, force=True)


def test_visits_are_counted_in_postgres_through_the_proxy(go_app):
    status, _, body = http("POST", f"{go_app.url}/visits", {})
    assert status == 200, body
    first = json.loads(body)["visits"]
    status, _, body = http("POST", f"{go_app.url}/visits", {})
    assert status == 200 and json.loads(body)["visits"] == first + 1, body
    status, _, body = http("GET", f"{go_app.url}/visits")
    assert status == 200 and json.loads(body)["visits"] == first + 1, body


WRAPPER = ["/standard-stack/env-exec", "DATABASE_URL=/run/secrets/DATABASE_URL", "--"]


def test_the_service_runs_through_the_static_wrapper_as_the_images_user_and_is_healthy(go_app):
    inspected = engine_api.get_json(f"/containers/{go_app.outputs()['container']}/json")
    assert inspected["Config"]["Entrypoint"] == WRAPPER
    assert inspected["Config"]["Cmd"] == ["/app"]
    assert inspected["State"]["Health"]["Status"] == "healthy"
    assert inspected["Config"]["User"] == "65534:65534"  # the image's own user


def test_the_migration_ran_through_the_static_wrapper_and_succeeded(go_app):
    [job] = [c for c in stack_objects()["containers"] if c["Labels"]["dev.standard-stack.service"] == "visits-migrate"]
    inspected = engine_api.get_json(f"/containers/{job['Id']}/json")
    assert (inspected["Config"]["Entrypoint"], inspected["Config"]["Cmd"]) == (WRAPPER, ["/app", "migrate"])
    assert inspected["State"]["ExitCode"] == 0


def test_no_container_shows_a_secret_value_in_docker_inspect(go_app):
    values = go_app.outputs()["secret_values"]
    containers = stack_objects()["containers"]
    assert {"visits", "visits-migrate"} <= {c["Labels"]["dev.standard-stack.service"] for c in containers}
    for container in containers:
        inspected = json.dumps(engine_api.get_json(f"/containers/{container['Id']}/json"))
        leaked = [f"{value[:4]}…" for value in values if value in inspected]
        assert not leaked, f"{container['Names'][0]} shows secret values in docker inspect: {leaked}"


def test_a_second_preview_changes_nothing(go_app):
    go_app.run("preview", expect_no_changes=True, diff=True)


def test_a_source_change_deploys_the_service_create_first_with_no_failed_request(go_app):
    before = go_app.outputs()
    (go_app.app / "release_note.go").write_text("package main\n\n// releaseNote marks a new release.\nconst releaseNote = 2\n")
    with RequestLoop([f"{go_app.url}/health", f"{go_app.url}/visits"], interval=0.05) as loop:
        started = time.monotonic()
        outcome = go_app.run("up")
        took = time.monotonic() - started
    after = go_app.outputs()
    assert after["release"] != before["release"]
    ops = outcome.ops_of("visits")
    assert ops.index("create-replacement") < ops.index("delete-replaced"), ops
    print(f"source change: deployed in {took:.0f} s; {loop.total} requests through the proxy, {len(loop.failures)} failed")
    assert loop.total > 50
    assert loop.failures == []
    go_app.run("preview", expect_no_changes=True, diff=True)
