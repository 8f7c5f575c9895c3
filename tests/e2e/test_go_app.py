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
import subprocess
import time
from collections.abc import Iterator

import engine_api
import pytest
from deploy import REPO
from pulumi import automation as auto
from stack import RequestLoop, http
from user_program import BASE_IMAGES, UserProgram, deployed

from standard_stack import versions

pytestmark = pytest.mark.e2e

PROJECT = "go-app"
STACK = "go-app-e2e"
HTTP_PORT = 28900
URL = f"http://127.0.0.1:{HTTP_PORT}"
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")


def golang_builder() -> None:
    """The Go image the derived build starts from; the stand-in script skips work when it exists."""
    proc = subprocess.run(
        [str(REPO / "tests" / "apps" / "tooling" / "golang-standin")],
        env={**os.environ, "DOCKER": DOCKER}, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, f"golang:{versions.GO}-bookworm for the wrapper stage: {proc.stderr[-2000:]}"
    present = subprocess.run([DOCKER, "image", "inspect", f"golang:{versions.GO}-bookworm"], capture_output=True)
    assert present.returncode == 0, f"golang:{versions.GO}-bookworm (versions.GO) is not a tag golang-standin makes"


@pytest.fixture(scope="module")
def go_app(toolchain, tmp_path_factory) -> Iterator[UserProgram]:
    golang_builder()
    config = {
        "httpPort": str(HTTP_PORT),
        "postgresImage": BASE_IMAGES["postgresImage"],
        "nginxVersion": BASE_IMAGES["nginxVersion"],
    }
    program = UserProgram(
        tmp_path_factory.mktemp("go-app"),
        program="go_app",
        app="go-service",
        project=PROJECT,
        stack=STACK,
        config={key: auto.ConfigValue(value=value) for key, value in config.items()},
    )
    with deployed(program):
        yield program


def test_visits_are_counted_in_postgres_through_the_proxy(go_app):
    status, _, body = http("POST", f"{URL}/visits", {})
    assert status == 200, body
    first = json.loads(body)["visits"]
    status, _, body = http("POST", f"{URL}/visits", {})
    assert status == 200 and json.loads(body)["visits"] == first + 1, body
    status, _, body = http("GET", f"{URL}/visits")
    assert status == 200 and json.loads(body)["visits"] == first + 1, body


WRAPPER = ["/standard-stack/env-exec", "DATABASE_URL=/run/secrets/DATABASE_URL", "--"]


def test_the_service_runs_through_the_static_wrapper_as_the_images_user_and_is_healthy(go_app):
    inspected = engine_api.get_json(f"/containers/{go_app.outputs()['container']}/json")
    assert inspected["Config"]["Entrypoint"] == WRAPPER
    assert inspected["Config"]["Cmd"] == ["/app"]
    assert inspected["State"]["Health"]["Status"] == "healthy"
    assert inspected["Config"]["User"] == "65534:65534"  # the image's own user


def test_the_migration_ran_through_the_static_wrapper_and_succeeded(go_app):
    [job] = [c for c in go_app.objects()["containers"] if c["Labels"]["dev.standard-stack.service"] == "visits-migrate"]
    inspected = engine_api.get_json(f"/containers/{job['Id']}/json")
    assert (inspected["Config"]["Entrypoint"], inspected["Config"]["Cmd"]) == (WRAPPER, ["/app", "migrate"])
    assert inspected["State"]["ExitCode"] == 0


def test_no_container_shows_a_secret_value_in_docker_inspect(go_app):
    values = go_app.outputs()["secret_values"]
    containers = go_app.objects()["containers"]
    assert {"visits", "visits-migrate"} <= {c["Labels"]["dev.standard-stack.service"] for c in containers}
    for container in containers:
        inspected = json.dumps(engine_api.get_json(f"/containers/{container['Id']}/json"))
        leaked = [f"{value[:4]}…" for value in values if value in inspected]
        assert not leaked, f"{container['Names'][0]} shows secret values in docker inspect: {leaked}"


def test_a_second_preview_changes_nothing(go_app):
    go_app.run("preview", expect_no_changes=True, diff=True)


def derived_image_tags() -> set[str]:
    """Tags of the images derived for the static wrapper on the engine."""
    out = subprocess.run(
        [DOCKER, "image", "ls", "--format", "{{.Tag}}", f"{PROJECT}-visits-env-exec"], capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def running_image_tags(container: str) -> set[str]:
    image = subprocess.run([DOCKER, "inspect", "-f", "{{.Image}}", container], capture_output=True, text=True, check=True)
    tags = subprocess.run(
        [DOCKER, "image", "inspect", "-f", "{{json .RepoTags}}", image.stdout.strip()], capture_output=True, text=True, check=True
    )
    return {tag.rsplit(":", 1)[1] for tag in json.loads(tags.stdout) if tag.startswith(f"{PROJECT}-visits-env-exec:")}


def test_a_source_change_deploys_the_service_create_first_with_no_failed_request(go_app):
    before = go_app.outputs()
    previous = running_image_tags(before["container"])
    assert len(previous) == 1 and previous <= derived_image_tags()
    (go_app.app / "release_note.go").write_text("package main\n\n// releaseNote marks a new release.\nconst releaseNote = 2\n")
    with RequestLoop([f"{URL}/health", f"{URL}/visits"], interval=0.05) as loop:
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
    # the derived image of the previous release went with it; the new one runs
    current = running_image_tags(after["container"])
    assert current != previous and current <= derived_image_tags() and not previous & derived_image_tags()
    go_app.run("preview", expect_no_changes=True, diff=True)
